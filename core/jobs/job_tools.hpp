// The host-provided job tools, as ToolEntries with builtin handlers, so they are listed, scoped,
// rate-limited and audited like any plugin tool (each poll is an ordinary call's audit record,
// tagged with the job id and the job's trace context):
//   job_status           jobs.read    status, progress, and the result or error once finished
//   job_partial_results  jobs.read    partial results the plugin emitted so far, in order
//   job_list             jobs.read    the caller's jobs, newest first
//   job_cancel           jobs.cancel  stops a running job (not read-only, not destructive: it
//                                     only ends work the caller started, and deletes nothing)
// Reading and cancelling are separate scopes so an operator can let an agent watch jobs it
// cannot stop. A job of another principal is "not found" with the very text an unknown id gets.
// Also: the immediate answer to a job-mode call (the job handle). Thread-safe.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "jobs/job_engine.hpp"
#include "registry/tool_registry.hpp"

namespace toolgate {

inline constexpr const char* kJobStatusTool = "job_status";
// job_status, job_partial_results, job_list or job_cancel: host tools, whether or not listed.
bool is_job_tool(std::string_view name);

// `engine` may be null when jobs are unavailable; the tools then say why (`unavailable`).
std::vector<std::shared_ptr<const ToolEntry>> make_job_tools(JobEngine* engine, std::string unavailable);

// The CallToolResult a job-mode call answers with: {jobId, status, pollTool, estimatedSeconds}.
boost::json::object job_handle_result(const JobRecord& job);
// A stored job as it may be shown under `redaction` (null: no rules): its result and its error
// text redacted with the rules in force now. The store holds them as redacted when written;
// rules added since apply too.
void redact_stored_job(const ResponseRedaction* redaction, JobRecord& job);

// The sentence for an id the caller cannot see, identical whether it exists or not.
std::string job_not_found_message(const std::string& id);

}  // namespace toolgate
