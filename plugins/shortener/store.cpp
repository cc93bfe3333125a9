// SQLite storage for the shortener (see store.hpp for tenancy and threading).
#include "store.hpp"

#include <ctime>
#include <filesystem>

#include "url_rules.hpp"

namespace toolgate::shortener {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS short_urls ("
    "  tenant TEXT NOT NULL,"
    "  code TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  hits INTEGER NOT NULL DEFAULT 0,"
    "  last_hit_at TEXT,"
    "  PRIMARY KEY (tenant, code)"
    ") WITHOUT ROWID;"
    "PRAGMA user_version = 1;";

// Indexed by Store::Stmt.
constexpr const char* kSql[] = {
    "INSERT INTO short_urls (tenant, code, url, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
    "UPDATE short_urls SET hits = hits + 1, last_hit_at = ?3 WHERE tenant = ?1 AND code = ?2 "
    "RETURNING url, hits, created_at, created_by",
    "SELECT code, url, hits, created_at, created_by, last_hit_at FROM short_urls WHERE tenant = ?1 "
    "ORDER BY created_at, code LIMIT ?2 OFFSET ?3",
    "SELECT count(*) FROM short_urls WHERE tenant = ?1",
    "DELETE FROM short_urls WHERE tenant = ?1 AND code = ?2",
};

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p ? reinterpret_cast<const char*>(p) : "";
}

void bind(sqlite3_stmt* s, int i, const std::string& v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }

// Leaves a cached statement ready for its next use however the caller leaves.
struct Reset {
  sqlite3_stmt* s;
  ~Reset() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

}  // namespace

Store::~Store() {
  for (auto* s : stmts_) sqlite3_finalize(s);
  if (db_) sqlite3_close(db_);
}

void Store::fail(const std::string& what) {
  throw StoreError("shortener database " + path_ + ": " + what + ": " + (db_ ? sqlite3_errmsg(db_) : "not open"));
}

void Store::open_locked() {
  if (db_) return;
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) throw StoreError("cannot create the directory for the shortener database " + path_ + ": " + ec.message());
    std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);  // private by default
  }
  int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  try {
    if (rc != SQLITE_OK) fail("cannot open");
    // Other processes (a second toolgate on the same file) may hold the lock briefly.
    sqlite3_busy_timeout(db_, 5000);
    if (sqlite3_exec(db_, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", nullptr, nullptr, nullptr) != SQLITE_OK)
      fail("cannot switch to WAL mode");
    if (sqlite3_exec(db_, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot create the schema");
    for (int i = 0; i < kStmtCount; ++i)
      if (sqlite3_prepare_v3(db_, kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts_[i], nullptr) != SQLITE_OK)
        fail("cannot prepare a statement");
  } catch (...) {
    for (auto*& s : stmts_) {
      sqlite3_finalize(s);
      s = nullptr;
    }
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

sqlite3_stmt* Store::stmt(Stmt which) {
  open_locked();
  return stmts_[which];
}

Link Store::create(const std::string& tenant, const std::string& subject, const std::string& code, const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* s = stmt(kInsert);
  Link link{code, url, 0, now_rfc3339(), subject, ""};
  // A generated code may collide with one the tenant already has; a few fresh draws settle it.
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (code.empty()) link.code = random_code();
    Reset reset{s};
    bind(s, 1, tenant);
    bind(s, 2, link.code);
    bind(s, 3, url);
    bind(s, 4, link.created_at);
    bind(s, 5, subject);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return link;
    if (sqlite3_extended_errcode(db_) != SQLITE_CONSTRAINT_PRIMARYKEY) fail("cannot store the short URL");
    if (!code.empty())
      throw DuplicateCode("the code '" + code + "' is already in use; choose another, or omit code to get a generated one");
  }
  throw StoreError("could not find a free code; try again");
}

std::optional<Link> Store::resolve(const std::string& tenant, const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* s = stmt(kResolve);
  Reset reset{s};
  Link link;
  link.code = code;
  link.last_hit_at = now_rfc3339();
  bind(s, 1, tenant);
  bind(s, 2, code);
  bind(s, 3, link.last_hit_at);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) fail("cannot resolve the code");
  link.url = column_text(s, 0);
  link.hits = sqlite3_column_int64(s, 1);
  link.created_at = column_text(s, 2);
  link.created_by = column_text(s, 3);
  // RETURNING rows are buffered; stepping to DONE completes the UPDATE before the reset.
  while (rc == SQLITE_ROW) rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) fail("cannot count the hit");
  return link;
}

std::vector<Link> Store::list(const std::string& tenant, std::int64_t limit, std::int64_t offset, std::int64_t& total) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Link> out;
  {
    sqlite3_stmt* c = stmt(kCount);
    Reset reset{c};
    bind(c, 1, tenant);
    if (sqlite3_step(c) != SQLITE_ROW) fail("cannot count short URLs");
    total = sqlite3_column_int64(c, 0);
  }
  sqlite3_stmt* s = stmt(kList);
  Reset reset{s};
  bind(s, 1, tenant);
  sqlite3_bind_int64(s, 2, limit);
  sqlite3_bind_int64(s, 3, offset);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    out.push_back(Link{column_text(s, 0), column_text(s, 1), sqlite3_column_int64(s, 2), column_text(s, 3),
                       column_text(s, 4), column_text(s, 5)});
  if (rc != SQLITE_DONE) fail("cannot list short URLs");
  return out;
}

bool Store::remove(const std::string& tenant, const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* s = stmt(kDelete);
  Reset reset{s};
  bind(s, 1, tenant);
  bind(s, 2, code);
  if (sqlite3_step(s) != SQLITE_DONE) fail("cannot delete the short URL");
  return sqlite3_changes(db_) > 0;
}

}  // namespace toolgate::shortener
