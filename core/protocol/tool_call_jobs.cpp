// ToolCall's two in-host endings: host tools (builtin handlers such as job_status) and calls
// handed to the job engine (job-mode tools, task-augmented calls). Kept apart from
// tool_call.cpp, which runs plugins in the foreground.
#include <spdlog/spdlog.h>

#include "jobs/job_engine.hpp"
#include "jobs/job_tools.hpp"
#include "jobs/tasks.hpp"
#include "policy/error_result.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/tool_call.hpp"
#include "util/digest.hpp"

namespace toolgate {

namespace json = boost::json;

void ToolCall::invoke_builtin() {
  const ToolManifest& m = *tool_->manifest;
  BuiltinCall call{principal_, args_, {}, {},
                   [this](const std::string& tool) { return server_.job_tool_refusal(principal_, tool); },
                   policy_->response_redaction()};
  json::object result;
  try {
    result = tool_->builtin(call);
  } catch (const std::exception& e) {
    result = error_result("internal", "tool " + m.name + " failed: " + e.what());
  }
  job_id_ = call.job_id;
  audit_traceparent_ = call.traceparent;  // polls share the trace of the job's start
  if (client_cancelled_) {
    finish(error_result("cancelled", "cancelled by the client"), "cancelled", "cancelled", "cancelled by the client");
    return;
  }
  if (result.contains("isError") && result["isError"] == true) {
    std::string code = "tool_error", message;
    if (auto* meta = result.if_contains("_meta"); meta && meta->is_object())
      if (auto* e = meta->get_object().if_contains(kErrorMetaKey); e && e->is_object()) {
        if (auto* c = e->get_object().if_contains("code"); c && c->is_string()) code = c->get_string();
        if (auto* t = e->get_object().if_contains("message"); t && t->is_string()) message = t->get_string();
      }
    finish(std::move(result), code == "forbidden" ? "forbidden" : "tool_error", code, message);
    return;
  }
  finish(std::move(result), "success", "", "");
}

void ToolCall::start_job() {
  const ToolManifest& m = *tool_->manifest;
  JobEngine* engine = server_.jobs();
  if (!engine) {
    std::string why = "tool " + m.name + " runs as a background job, but jobs are not available on this server: " +
                      server_.jobs_unavailable_reason();
    return refuse(error_result("jobs_unavailable", why), "internal", "jobs_unavailable", why);
  }
  // The start and every later poll share one trace, so a trace id is made up when none came.
  if (extras_.traceparent.empty()) extras_.traceparent = "00-" + random_hex(16) + "-" + random_hex(8) + "-01";

  JobStart req;
  req.tool = tool_;
  req.principal = principal_;
  req.args = args_;
  req.traceparent = extras_.traceparent;
  req.as_task = extras_.task_mode != TaskMode::None;
  req.notify_task_status = extras_.task_mode == TaskMode::Mcp2025;
  req.requested_ttl_ms = extras_.task_ttl_ms;
  req.redaction = policy_->response_redaction();
  if (extras_.task_mode == TaskMode::Mcp2025 && !extras_.progress_token.is_null()) {
    // A task's progressToken stays valid for the task's whole life (2025-11-25 tasks).
    Server* server = &server_;
    json::value token = extras_.progress_token;
    req.on_progress = [server, token](const std::string& task_id, double progress, double total,
                                      const std::string& message) {
      json::object params{{"progressToken", token}, {"progress", json_number(progress)}};
      if (total > 0) params["total"] = json_number(total);
      if (!message.empty()) params["message"] = message;
      params["_meta"] = json::object{{kRelatedTaskKey, json::object{{"taskId", task_id}}}};
      server->notify(make_notification("notifications/progress", std::move(params)));
    };
  }
  answer_job(engine->start(std::move(req)));
}

void ToolCall::answer_job(const JobStarted& started) {
  if (!started.ok) {
    // The per-principal cap is a limit like a rate limit: audited as one, with its own code.
    const std::string outcome = started.error_code == "job_limit" ? "rate_limited" : "internal";
    return refuse(error_result(started.error_code, started.error_message), outcome, started.error_code,
                  started.error_message);
  }
  job_id_ = started.job.id;
  std::int64_t poll = server_.jobs()->config().poll_interval_ms;
  json::object result;
  switch (extras_.task_mode) {
    case TaskMode::None:
      result = job_handle_result(started.job);
      break;
    case TaskMode::Mcp2025:
      result = json::object{{"task", task_2025(started.job, poll)}};
      break;
    case TaskMode::Extension2026:
      result = task_2026(started.job, poll);
      result["resultType"] = "task";
      break;
  }
  finish(std::move(result), "job_started", "", "");
}

}  // namespace toolgate
