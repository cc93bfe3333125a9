// Shared fixtures for the audit tests: scratch directories, sample entries, file reading,
// capturing what goes to the spdlog default logger (stderr in production), schema validation
// and bounded polling. Test-only; not thread-safe unless stated.
#pragma once

#include "audit/audit_config.hpp"
#include "audit/audit_entry.hpp"
#include "audit/audit_verify.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace spdlog {
class logger;
}

namespace toolgate::test {

// A fresh directory under /tmp, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Config for DIR with defaults otherwise.
AuditConfig test_config(const std::string& dir);
// An entry with every optional field set; `i` makes it distinct.
AuditEntry sample_entry(int i, const std::string& actor = "alice@example.com");

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);
std::vector<std::string> read_lines(const std::string& path);  // without newlines
void write_lines(const std::string& path, const std::vector<std::string>& lines);
unsigned file_mode(const std::string& path);  // permission bits
// All entry lines of a directory, oldest file first.
std::vector<std::string> all_entry_lines(const std::string& dir);
// Copies every regular file of `from` into `to` (created).
void copy_dir(const std::string& from, const std::string& to);

// Routes the spdlog default logger into a string for the lifetime of the object.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  std::string text() const;
  std::size_t count(const std::string& needle) const;

 private:
  std::shared_ptr<std::ostringstream> out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Error texts from validating `entry` against core/audit/audit-entry.schema.json; empty = valid.
std::vector<std::string> schema_errors(const boost::json::value& entry);
// A verify report as text, for assertion messages.
std::string dump(const VerifyReport& r);

// Re-checks `condition` until it holds or `limit` passes; returns whether it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = std::chrono::seconds(15));

}  // namespace toolgate::test
