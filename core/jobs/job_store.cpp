#include "jobs/job_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <stdexcept>
#include <variant>

namespace toolgate {

namespace json = boost::json;

namespace {

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs(
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, subject TEXT NOT NULL, tool TEXT NOT NULL, plugin TEXT NOT NULL,
  status TEXT NOT NULL, owner TEXT NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL DEFAULT 0,
  ttl_ms INTEGER NOT NULL,
  progress REAL, total REAL NOT NULL DEFAULT 0, progress_message TEXT NOT NULL DEFAULT '',
  result TEXT, error_code TEXT NOT NULL DEFAULT '', error_message TEXT NOT NULL DEFAULT '',
  traceparent TEXT NOT NULL, estimated_seconds INTEGER NOT NULL DEFAULT 0, as_task INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS jobs_by_principal ON jobs(tenant, subject, created_ms);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, owner);
CREATE TABLE IF NOT EXISTS partials(
  job_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, created_ms INTEGER NOT NULL,
  PRIMARY KEY(job_id, seq)) WITHOUT ROWID;
)sql";

// A job is visible while running, and after it finished until finished + ttl.
const char* const kVisible = "(status = 'running' OR finished_ms + ttl_ms > ?)";
const char* const kColumns =
    "id, tenant, subject, tool, plugin, status, owner, created_ms, updated_ms, finished_ms, ttl_ms, progress, total, "
    "progress_message, result, error_code, error_message, traceparent, estimated_seconds, as_task";

using Arg = std::variant<std::string, std::int64_t, double, std::nullptr_t>;

// One prepared statement; finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql, std::initializer_list<Arg> args) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) fail("prepare");
    int i = 1;
    for (const Arg& a : args) {
      int rc;
      if (auto* t = std::get_if<std::string>(&a))
        rc = sqlite3_bind_text(s_, i, t->data(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
      else if (auto* n = std::get_if<std::int64_t>(&a))
        rc = sqlite3_bind_int64(s_, i, *n);
      else if (auto* d = std::get_if<double>(&a))
        rc = sqlite3_bind_double(s_, i, *d);
      else
        rc = sqlite3_bind_null(s_, i);
      if (rc != SQLITE_OK) fail("bind");
      ++i;
    }
  }
  ~Stmt() { sqlite3_finalize(s_); }
  // True while there is a row.
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("step");
    return false;
  }
  std::string text(int c) const {
    auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c)) : std::string();
  }
  std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  double real(int c) const { return sqlite3_column_double(s_, c); }
  bool null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }

 private:
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("job store: ") + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

JobRecord read_job(const Stmt& s) {
  JobRecord j;
  j.id = s.text(0);
  j.tenant = s.text(1);
  j.subject = s.text(2);
  j.tool = s.text(3);
  j.plugin = s.text(4);
  j.status = parse_job_status(s.text(5)).value_or(JobStatus::Failed);
  j.owner = s.text(6);
  j.created_ms = s.integer(7);
  j.updated_ms = s.integer(8);
  j.finished_ms = s.integer(9);
  j.ttl_ms = s.integer(10);
  if (!s.null(11)) j.progress = s.real(11);
  j.total = s.real(12);
  j.progress_message = s.text(13);
  if (!s.null(14)) {
    boost::system::error_code ec;
    json::value v = json::parse(s.text(14), ec);
    if (!ec && v.is_object()) j.result = std::move(v.get_object());
  }
  j.error_code = s.text(15);
  j.error_message = s.text(16);
  j.traceparent = s.text(17);
  j.estimated_seconds = s.integer(18);
  j.as_task = s.integer(19) != 0;
  return j;
}

// Holds an exclusive flock(2) on `path` (created 0600) for its lifetime; waits for it.
class SetupLock {
 public:
  explicit SetupLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd_);
      throw std::runtime_error("cannot lock " + path + ": " + std::strerror(saved));
    }
  }
  ~SetupLock() { ::close(fd_); }  // closing releases the lock
  SetupLock(const SetupLock&) = delete;
  SetupLock& operator=(const SetupLock&) = delete;

 private:
  int fd_;
};

}  // namespace

JobStore::JobStore(const std::string& dir) : file_(dir + "/jobs.sqlite3") {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(file_.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open job store " + file_ + ": " + why);
  }
  sqlite3_busy_timeout(db_, 5000);  // other toolgate processes on the same state directory
  try {
    // Switching a new database to WAL is a lock upgrade SQLite does not wait for (no busy
    // handler): two processes starting together on one state directory made one of them fail
    // with "database is locked". They take turns setting it up instead.
    SetupLock turn(file_ + ".setup-lock");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec(kSchema);
  } catch (const std::exception& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open job store " + file_ + ": " + e.what());
  }
}

JobStore::~JobStore() { sqlite3_close(db_); }

void JobStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw std::runtime_error("job store: " + why);
  }
}

bool JobStore::insert_if_under_cap(const JobRecord& j, std::int64_t cap, std::int64_t& running) {
  std::lock_guard<std::mutex> lock(mu_);
  // IMMEDIATE takes the write lock first, so two processes cannot both pass the count.
  exec("BEGIN IMMEDIATE");
  try {
    {
      Stmt count(db_, "SELECT count(*) FROM jobs WHERE status = 'running' AND tenant = ? AND subject = ?",
                 {j.tenant, j.subject});
      count.step();
      running = count.integer(0);
    }
    if (running >= cap) {
      exec("ROLLBACK");
      return false;
    }
    Stmt ins(db_,
             std::string("INSERT INTO jobs(") + kColumns + ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
             {j.id, j.tenant, j.subject, j.tool, j.plugin, std::string("running"), j.owner, j.created_ms, j.updated_ms,
              std::int64_t{0}, j.ttl_ms, nullptr, 0.0, std::string(), nullptr, std::string(), std::string(),
              j.traceparent, j.estimated_seconds, std::int64_t{j.as_task ? 1 : 0}});
    ins.step();
    exec("COMMIT");
    return true;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::optional<JobRecord> JobStore::get(const std::string& id, std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ? AND " + kVisible, {id, now_ms});
  if (!s.step()) return std::nullopt;
  return read_job(s);
}

void JobStore::set_progress(const std::string& id, double progress, double total, const std::string& message,
                            std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "UPDATE jobs SET progress = ?, total = ?, progress_message = ?, updated_ms = ? WHERE id = ? AND status = "
         "'running'",
         {progress, total, message, now_ms, id});
  s.step();
}

bool JobStore::finish(const std::string& id, JobStatus status, const json::object& result, const std::string& error_code,
                      const std::string& error_message, std::int64_t now_ms,
                      const std::optional<JobProgress>& last_progress) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string name(job_status_name(status));
  const std::string data = json::serialize(result);
  if (last_progress) {
    Stmt s(db_,
           "UPDATE jobs SET status = ?, result = ?, error_code = ?, error_message = ?, updated_ms = ?, finished_ms = ?, "
           "progress = ?, total = ?, progress_message = ? WHERE id = ? AND status = 'running'",
           {name, data, error_code, error_message, now_ms, now_ms, last_progress->progress, last_progress->total,
            last_progress->message, id});
    s.step();
  } else {
    Stmt s(db_,
           "UPDATE jobs SET status = ?, result = ?, error_code = ?, error_message = ?, updated_ms = ?, finished_ms = ? "
           "WHERE id = ? AND status = 'running'",
           {name, data, error_code, error_message, now_ms, now_ms, id});
    s.step();
  }
  return sqlite3_changes(db_) == 1;
}

void JobStore::add_partial(const std::string& id, std::int64_t seq, const std::string& data, std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "INSERT INTO partials(job_id, seq, data, created_ms) VALUES(?,?,?,?)", {id, seq, data, now_ms});
  s.step();
}

std::vector<JobPartial> JobStore::partials(const std::string& id, std::int64_t after_seq, std::int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT seq, data, created_ms FROM partials WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?",
         {id, after_seq, limit});
  std::vector<JobPartial> out;
  while (s.step()) out.push_back(JobPartial{s.integer(0), s.text(1), s.integer(2)});
  return out;
}

std::vector<JobRecord> JobStore::list(const std::string& tenant, const std::string& subject,
                                      std::optional<JobStatus> status, std::int64_t now_ms, std::int64_t limit,
                                      std::int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE tenant = ? AND subject = ? AND " + kVisible +
                    " AND (? = '' OR status = ?) ORDER BY created_ms DESC, id LIMIT ? OFFSET ?";
  std::string st = status ? job_status_name(*status) : "";
  Stmt s(db_, sql, {tenant, subject, now_ms, st, st, limit, offset});
  std::vector<JobRecord> out;
  while (s.step()) out.push_back(read_job(s));
  return out;
}

std::vector<std::string> JobStore::running_owners(const std::string& self) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT DISTINCT owner FROM jobs WHERE status = 'running' AND owner != ?", {self});
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<JobRecord> JobStore::fail_running_of(const std::string& owner, const json::object& result,
                                                 const std::string& error_code, const std::string& error_message,
                                                 std::int64_t now_ms) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "SELECT id FROM jobs WHERE status = 'running' AND owner = ?", {owner});
    while (s.step()) ids.push_back(s.text(0));
  }
  std::vector<JobRecord> out;
  for (const auto& id : ids) {
    if (!finish(id, JobStatus::Failed, result, error_code, error_message, now_ms)) continue;
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?", {id});
    if (s.step()) out.push_back(read_job(s));
  }
  return out;
}

void JobStore::purge_expired(std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt p(db_,
         "DELETE FROM partials WHERE job_id IN (SELECT id FROM jobs WHERE status != 'running' AND finished_ms + ttl_ms "
         "<= ?)",
         {now_ms});
  p.step();
  Stmt j(db_, "DELETE FROM jobs WHERE status != 'running' AND finished_ms + ttl_ms <= ?", {now_ms});
  j.step();
}

}  // namespace toolgate
