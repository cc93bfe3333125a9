#include "test_helpers.hpp"

#include "audit/audit_files.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace toolgate::test {

namespace fs = std::filesystem;
namespace json = boost::json;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "audit-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

AuditConfig test_config(const std::string& dir) {
  AuditConfig c = default_audit_config("/");
  c.directory = dir;
  return c;
}

AuditEntry sample_entry(int i, const std::string& actor) {
  AuditEntry e;
  e.actor = actor;
  e.tenant = "acme";
  e.tool = i % 2 ? "dns.lookup" : "files.read";
  e.plugin = i % 2 ? "dns" : "files";
  e.plugin_version = "1.2." + std::to_string(i);
  e.input = json::object{{"name", "host" + std::to_string(i) + ".example.com"}, {"n", i}};
  e.outcome = i % 3 ? AuditOutcome::success : AuditOutcome::tool_error;
  e.error_code = e.outcome == AuditOutcome::success ? "" : "upstream_failed";
  e.latency_ms = 10 + i;
  e.request_id = i % 2 ? json::value(i) : json::value("req-" + std::to_string(i));
  e.client_name = "claude-code";
  e.client_version = "2.1.0";
  e.policy_digest = std::string(64, 'a');
  e.manifest_digest = std::string(64, 'b');
  return e;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  write_text(path, text);
}

unsigned file_mode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::vector<std::string> all_entry_lines(const std::string& dir) {
  std::string error;
  std::vector<std::string> out;
  auto files = list_audit_files(dir, error);
  if (!files) return out;
  for (const auto& f : *files)
    for (auto& l : read_lines(f.path)) out.push_back(std::move(l));
  return out;
}

void copy_dir(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from))
    if (e.is_regular_file()) fs::copy_file(e.path(), fs::path(to) / e.path().filename());
}

LogCapture::LogCapture() : out_(std::make_shared<std::ostringstream>()), previous_(spdlog::default_logger()) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out_);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_pattern("[%l] %v");
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() { spdlog::set_default_logger(previous_); }

std::string LogCapture::text() const {
  spdlog::default_logger()->flush();
  return out_->str();
}

std::size_t LogCapture::count(const std::string& needle) const {
  std::string t = text();
  std::size_t n = 0;
  for (std::size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + 1)) ++n;
  return n;
}

std::vector<std::string> schema_errors(const json::value& entry) {
  static const json::value schema_doc = json::parse(read_text(TOOLGATE_AUDIT_SCHEMA));
  static const valijson::Schema& schema = *[] {
    auto* s = new valijson::Schema;  // not copyable; lives for the whole test run
    valijson::SchemaParser parser;
    valijson::adapters::BoostJsonAdapter adapter(schema_doc);
    parser.populateSchema(adapter, *s);
    return s;
  }();
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter target(entry);
  std::vector<std::string> out;
  if (!validator.validate(schema, target, &results)) {
    valijson::ValidationResults::Error err;
    while (results.popError(err)) {
      std::string where;
      for (const auto& c : err.context) where += c;
      out.push_back(where + ": " + err.description);
    }
  }
  return out;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // re-check interval, not synchronisation
  }
  return condition();
}

std::string dump(const VerifyReport& r) {
  std::string s;
  for (const auto& p : r.problems) s += "problem: " + p + "\n";
  for (const auto& n : r.notes) s += "note: " + n + "\n";
  return s;
}

}  // namespace toolgate::test
