// MCP task shapes of a job: the same engine serves the job tools and MCP tasks, and these pure
// functions render a JobRecord the way each protocol defines a task.
//  - 2025-11-25 (initialize era, capability `tasks`): Task {taskId, status, statusMessage?,
//    createdAt, lastUpdatedAt, ttl, pollInterval}; tool errors (isError) make a task "failed";
//    the result itself is fetched with tasks/result.
//  - 2026-07-28 extension `io.modelcontextprotocol/tasks`: DetailedTask {..., ttlMs,
//    pollIntervalMs} with the final result inlined; a tool error is a "completed" task whose
//    result has isError, and "failed" is kept for JSON-RPC-level failures (the host died or shut
//    down under the job), which carry `error`.
// A task's ttl is reported as the job's retention (jobs.resultTtlSeconds or the task's requested
// ttl, whichever is smaller); toolgate counts it from the job's end, so it is retained at least
// that long from creation, as the spec asks. Pure; thread-safe.
#pragma once

#include <boost/json.hpp>

#include "jobs/job_record.hpp"

namespace toolgate {

inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";
inline constexpr const char* kRelatedTaskKey = "io.modelcontextprotocol/related-task";

const char* task_status_2025(JobStatus s);
boost::json::object task_2025(const JobRecord& job, std::int64_t poll_interval_ms);
// True when the job failed under the host (restart, shutdown) rather than in the tool.
bool failed_in_host(const JobRecord& job);
boost::json::object task_2026(const JobRecord& job, std::int64_t poll_interval_ms);

}  // namespace toolgate
