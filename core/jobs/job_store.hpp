// Durable job state in SQLite (<state>/jobs.sqlite3, WAL): the job rows and their partial
// results. It is the source of truth shared by every toolgate process on one state directory:
// status polls read it, so a job started by one process can be fetched after a restart.
// Terminal transitions happen only from "running" (finish() is a compare-and-set), so a
// cancellation racing a completion leaves exactly one winner. Expired jobs (terminal and past
// finished + ttl) are invisible to every read and purged lazily.
// Thread-safe: one connection behind a mutex; other processes are handled by SQLite's locking
// (busy timeout) and the BEGIN IMMEDIATE around the concurrency-cap check.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jobs/job_record.hpp"

namespace toolgate {

struct JobProgress {
  double progress = 0;
  double total = 0;
  std::string message;
};

struct JobPartial {
  std::int64_t seq = 0;
  std::string data;  // JSON text as the plugin emitted it
  std::int64_t created_ms = 0;
};

class JobStore {
 public:
  // Opens or creates the database in `dir` (which must exist). Throws std::runtime_error.
  explicit JobStore(const std::string& dir);
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  const std::string& file() const { return file_; }
  // Inserts a running job unless its principal already runs `cap` jobs. `running` is the count
  // found before inserting. Throws on database errors.
  bool insert_if_under_cap(const JobRecord& job, std::int64_t cap, std::int64_t& running);
  // The job unless it never existed or has expired.
  std::optional<JobRecord> get(const std::string& id, std::int64_t now_ms);
  void set_progress(const std::string& id, double progress, double total, const std::string& message, std::int64_t now_ms);
  // running -> `status`; false when the job was no longer running (someone else finished it).
  // `last_progress`, when given, is stored in the same update: progress is written through at
  // most every 200 ms while a job runs, so without it a finished job would show a stale step.
  bool finish(const std::string& id, JobStatus status, const boost::json::object& result, const std::string& error_code,
              const std::string& error_message, std::int64_t now_ms,
              const std::optional<JobProgress>& last_progress = std::nullopt);
  void add_partial(const std::string& id, std::int64_t seq, const std::string& data, std::int64_t now_ms);
  std::vector<JobPartial> partials(const std::string& id, std::int64_t after_seq, std::int64_t limit);
  // The principal's visible jobs, newest first.
  std::vector<JobRecord> list(const std::string& tenant, const std::string& subject, std::optional<JobStatus> status,
                              std::int64_t now_ms, std::int64_t limit, std::int64_t offset);
  // Owners of running jobs, other than `self`.
  std::vector<std::string> running_owners(const std::string& self);
  // Fails every running job of `owner`; returns them as they are after the change.
  std::vector<JobRecord> fail_running_of(const std::string& owner, const boost::json::object& result,
                                         const std::string& error_code, const std::string& error_message,
                                         std::int64_t now_ms);
  void purge_expired(std::int64_t now_ms);

 private:
  void exec(const char* sql);

  std::string file_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace toolgate
