// SQLite storage for the shortener. Every row is keyed by (tenant, code), and every statement
// filters by tenant, so one tenant's codes are invisible to another, and the same custom code
// can exist in two tenants without revealing that either exists.
//
// Threading: one connection, opened on first use and guarded by a mutex; calls from several
// host worker threads serialise here. Several toolgate processes may share a database file:
// WAL mode and a busy timeout let them take turns.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace toolgate::shortener {

struct Link {
  std::string code;
  std::string url;
  std::int64_t hits = 0;
  std::string created_at;   // RFC 3339, UTC
  std::string created_by;   // the subject that created it
  std::string last_hit_at;  // empty if never resolved
};

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A custom code that the tenant already uses.
class DuplicateCode : public StoreError {
 public:
  using StoreError::StoreError;
};

class Store {
 public:
  explicit Store(std::string path) : path_(std::move(path)) {}
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  // An empty code means "generate one". Throws DuplicateCode or StoreError.
  Link create(const std::string& tenant, const std::string& subject, const std::string& code, const std::string& url);
  // Counts a hit; nullopt if the tenant has no such code.
  std::optional<Link> resolve(const std::string& tenant, const std::string& code);
  std::vector<Link> list(const std::string& tenant, std::int64_t limit, std::int64_t offset, std::int64_t& total);
  // False if the tenant has no such code.
  bool remove(const std::string& tenant, const std::string& code);

 private:
  enum Stmt { kInsert, kResolve, kList, kCount, kDelete, kStmtCount };
  void open_locked();  // throws StoreError; retried on the next call after a failure
  sqlite3_stmt* stmt(Stmt which);
  [[noreturn]] void fail(const std::string& what);

  std::string path_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmts_[kStmtCount] = {};
};

}  // namespace toolgate::shortener
