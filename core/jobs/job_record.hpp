// The value types of the job engine: what a job is (JobRecord, as persisted), how the operator
// configures jobs (JobsConfig, parsed from the policy file's `jobs` section), and what the
// engine reports when a job reaches a terminal state (JobEvent, turned into an audit record and
// a task status notification by the protocol layer). Plain values; copy freely across threads.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "policy/principal.hpp"

namespace toolgate {

// running -> complete | failed | cancelled; terminal states never change again.
enum class JobStatus { Running, Complete, Failed, Cancelled };
const char* job_status_name(JobStatus s);
std::optional<JobStatus> parse_job_status(const std::string& name);

struct JobsConfig {
  std::string state_directory;            // absolute; empty disables jobs
  bool state_directory_explicit = false;  // named in the policy file (failure to open is fatal)
  std::int64_t result_ttl_seconds = 86'400;
  std::int64_t max_concurrent_per_principal = 4;
  std::int64_t default_timeout_ms = 3'600'000;  // for job tools whose manifest sets no timeoutMs
  std::int64_t workers = 4;                     // threads that run jobs, apart from plain calls
  std::int64_t poll_interval_ms = 2'000;        // suggested to pollers (tasks' pollInterval)
};

struct JobRecord {
  std::string id;       // 32 lower-case hex characters (128 random bits)
  std::string tenant;   // with subject: the only principal that can see the job
  std::string subject;
  std::string tool;
  std::string plugin;
  JobStatus status = JobStatus::Running;
  std::string owner;    // instance id of the process running it (see InstanceLock)
  std::int64_t created_ms = 0;   // Unix epoch milliseconds
  std::int64_t updated_ms = 0;
  std::int64_t finished_ms = 0;  // 0 while running
  std::int64_t ttl_ms = 0;       // how long a finished job is kept, counted from finished_ms
  std::optional<double> progress;
  double total = 0;              // <= 0: unknown
  std::string progress_message;
  std::optional<boost::json::object> result;  // the final CallToolResult once terminal
  std::string error_code;        // failed / cancelled: machine-readable reason
  std::string error_message;     // ... and the sentence for people
  std::string traceparent;       // the starting call's W3C trace context, shared by its polls
  std::int64_t estimated_seconds = 0;
  bool as_task = false;          // started as an MCP task (task-augmented call or extension)
};

// A job reached a terminal state. `outcome` is the audit outcome: job_complete, job_failed or
// job_cancelled.
struct JobEvent {
  JobRecord job;
  Principal principal;  // full principal when this process started the job; tenant+subject otherwise
  boost::json::object input;
  std::string plugin_version;
  std::string manifest_digest;
  std::string outcome;
  std::int64_t latency_ms = 0;
  bool notify_task_status = false;  // the session that started it wants notifications/tasks/status
};

std::int64_t now_epoch_ms();
// Whole numbers as JSON integers (progress 2, not 2E0), others as doubles.
boost::json::value json_number(double d);
// RFC 3339 / ISO 8601 UTC with milliseconds, e.g. 2025-11-25T10:30:00.123Z.
std::string iso8601_utc(std::int64_t epoch_ms);

}  // namespace toolgate
