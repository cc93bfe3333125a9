#include "jobs/tasks.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

json::object common(const JobRecord& j, const char* status) {
  json::object t{{"taskId", j.id},
                 {"status", status},
                 {"createdAt", iso8601_utc(j.created_ms)},
                 {"lastUpdatedAt", iso8601_utc(j.updated_ms)}};
  std::string message;
  if (j.status == JobStatus::Running) {
    message = j.progress_message;
  } else if (j.status != JobStatus::Complete) {
    message = j.error_message;
  }
  if (!message.empty()) t["statusMessage"] = message;
  return t;
}

}  // namespace

const char* task_status_2025(JobStatus s) {
  switch (s) {
    case JobStatus::Running: return "working";
    case JobStatus::Complete: return "completed";
    case JobStatus::Failed: return "failed";
    case JobStatus::Cancelled: return "cancelled";
  }
  return "failed";
}

json::object task_2025(const JobRecord& j, std::int64_t poll_interval_ms) {
  json::object t = common(j, task_status_2025(j.status));
  t["ttl"] = j.ttl_ms;
  t["pollInterval"] = poll_interval_ms;
  return t;
}

bool failed_in_host(const JobRecord& j) {
  return j.status == JobStatus::Failed && (j.error_code == "host_restarted" || j.error_code == "host_shutdown");
}

json::object task_2026(const JobRecord& j, std::int64_t poll_interval_ms) {
  const char* status = task_status_2025(j.status);
  if (j.status == JobStatus::Failed && !failed_in_host(j)) status = "completed";  // the result says isError
  json::object t = common(j, status);
  t["ttlMs"] = j.ttl_ms;
  t["pollIntervalMs"] = poll_interval_ms;
  if (std::string_view(status) == "completed" && j.result) {
    // The inlined tools/call result is a 2026-07-28 result like any other, so it names its
    // resultType too (the extension's clients reject a completed task whose result lacks it).
    json::object result = *j.result;
    if (!result.contains("resultType")) result["resultType"] = "complete";
    t["result"] = std::move(result);
  }
  if (failed_in_host(j)) t["error"] = json::object{{"code", -32603}, {"message", j.error_message}};
  return t;
}

}  // namespace toolgate
