#include "protocol/task_methods.hpp"

#include <spdlog/spdlog.h>

#include "jobs/job_tools.hpp"
#include "jobs/tasks.hpp"
#include "policy/scopes.hpp"
#include "protocol/render.hpp"
#include "protocol/server.hpp"
#include "protocol/tool_call.hpp"
#include "protocol/versions.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

const char* const kNotFound = "Failed to retrieve task: Task not found";
constexpr std::int64_t kListPage = 50;
// Implementation-defined JSON-RPC codes (the -32000..-32019 range) for refusals that a tools/call
// would have reported as an isError result.
constexpr int kUnauthenticated = -32001;
constexpr int kRateLimited = -32000;
constexpr int kForbidden = rpc::kForbidden;
constexpr int kMissingClientCapability = -32021;  // 2026-07-28

bool declares_extension(const json::object& caps) {
  const json::value* ext = caps.if_contains("extensions");
  return ext && ext->is_object() && ext->get_object().contains(kTasksExtension);
}

}  // namespace

struct TaskMethods::Request {
  json::value id;
  std::string method;
  json::object params;
  SessionInfo session;
  std::shared_ptr<BatchCollector> batch;
  Principal principal;
  std::string task_id;
  std::string traceparent;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

TaskMethods::TaskMethods(Server& server, JobEngine& engine) : server_(server), engine_(engine) {}

void TaskMethods::handle(const Message& m, const std::shared_ptr<BatchCollector>& batch, const SessionInfo& session) {
  auto r = std::make_shared<Request>();
  r->id = m.id;
  r->method = m.method;
  if (m.params) r->params = *m.params;
  r->params.erase("_meta");
  r->session = session;
  r->batch = batch;
  if (batch) batch->expect();
  if (!server_.pool().submit([this, r] { run(r); }))
    server_.respond(batch, make_error(r->id, rpc::kInternalError, "the server is shutting down"));
}

void TaskMethods::run(const std::shared_ptr<Request>& r) {
  auto fail = [&](int code, const std::string& message, json::value data = nullptr) {
    server_.respond(r->batch, make_error(r->id, code, message, data));
  };
  const std::string& method = r->method;
  bool v2026 = r->session.stateless;
  bool known = v2026 ? (method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel")
                     : (method == "tasks/get" || method == "tasks/result" || method == "tasks/list" ||
                        method == "tasks/cancel");
  if (!known) return fail(rpc::kMethodNotFound, "Method not found: " + method);
  if (v2026 && !declares_extension(r->session.client_capabilities))
    return fail(kMissingClientCapability,
                method + " belongs to the " + kTasksExtension +
                    " extension, which this request's client capabilities do not declare",
                json::object{{"requiredCapabilities",
                              json::object{{"extensions", json::object{{kTasksExtension, json::object()}}}}}});
  if (method != "tasks/list") {
    const json::value* tid = r->params.if_contains("taskId");
    if (!tid || !tid->is_string()) return fail(rpc::kInvalidParams, method + ": params.taskId must be a string");
    r->task_id = tid->get_string();
  }

  CallPolicy& policy = server_.policy();
  AuthDecision auth = policy.authenticate();
  if (!auth.ok) return reply(r, nullptr, "unauthenticated", kUnauthenticated, method + " refused: " + auth.reason);
  r->principal = std::move(auth.principal);
  // Each method is scoped and rate-limited like the job tool it mirrors (with the policy's
  // overrides), so a task is no side door to what job_status or job_cancel would refuse.
  const char* mirror = method == "tasks/cancel" ? "job_cancel" : kJobStatusTool;
  auto tool = server_.registry().snapshot()->find(mirror);
  if (!tool) return reply(r, nullptr, "internal", rpc::kInternalError, method + " failed: the job tools are not loaded");
  std::string scope = policy.required_scope(*tool->manifest);
  if (scope.empty() || !scope_granted(r->principal.scopes, scope))
    return reply(r, nullptr, "insufficient_scope", kForbidden,
                 method + " refused: it requires " +
                     (scope.empty() ? std::string("a scope the policy does not name for ") + mirror
                                    : "the scope '" + scope + "' (as " + mirror + " does)") +
                     ", which your credential does not grant",
                 json::object{{"requiredScope", scope.empty() ? json::value(nullptr) : json::value(scope)}});
  std::unique_ptr<CallTicket> ticket;
  RateDecision rate = policy.admit(r->principal, *tool->manifest, ticket);
  if (!rate.allowed)
    return reply(r, nullptr, "rate_limited", kRateLimited, rate.message,
                 json::object{{"retryAfterSeconds", rate.retry_after_seconds}, {"limit", rate.limit}});
  try {
    if (method == "tasks/get") return get(r);
    if (method == "tasks/result") return result(r);
    if (method == "tasks/list") return list(r);
    if (method == "tasks/cancel") return cancel(r);
    return update(r);
  } catch (const std::exception& e) {
    reply(r, nullptr, "internal", rpc::kInternalError, method + " failed: " + e.what());
  }
}

bool TaskMethods::refuse_forbidden(const std::shared_ptr<Request>& r, const std::string& tool) {
  std::string why = server_.job_tool_refusal(r->principal, tool);
  if (why.empty()) return false;
  reply(r, nullptr, "forbidden", kForbidden, r->method + " refused: " + why);
  return true;
}

void TaskMethods::get(const std::shared_ptr<Request>& r) {
  auto job = engine_.find(r->principal, r->task_id);
  if (!job) return reply(r, nullptr, "tool_error", rpc::kInvalidParams, kNotFound);
  if (refuse_forbidden(r, job->tool)) return;
  r->traceparent = job->traceparent;
  server_.redact_stored_job(*job);
  std::int64_t poll = engine_.config().poll_interval_ms;
  reply(r, r->session.stateless ? task_2026(*job, poll) : task_2025(*job, poll), "success");
}

void TaskMethods::result(const std::shared_ptr<Request>& r) {
  if (auto job = engine_.find(r->principal, r->task_id); job && refuse_forbidden(r, job->tool)) return;
  bool visible = engine_.when_terminal(r->principal, r->task_id, [this, r](const std::optional<JobRecord>& job) {
    if (!job || !job->result)
      return reply(r, nullptr, "tool_error", rpc::kInvalidParams, "Failed to retrieve task: Task has expired");
    r->traceparent = job->traceparent;
    JobRecord shown = *job;
    server_.redact_stored_job(shown);
    json::object res = *shown.result;
    adapt_result(res, r->session.version);
    json::value& meta = res["_meta"];
    if (!meta.is_object()) meta = json::object();
    meta.get_object()[kRelatedTaskKey] = json::object{{"taskId", job->id}};
    reply(r, std::move(res), "success");
  });
  if (!visible) reply(r, nullptr, "tool_error", rpc::kInvalidParams, kNotFound);
}

void TaskMethods::list(const std::shared_ptr<Request>& r) {
  std::int64_t offset = 0;
  if (const json::value* c = r->params.if_contains("cursor")) {
    std::string cursor = c->is_string() ? std::string(c->get_string()) : "";
    if (cursor.size() < 3 || cursor.size() > 11 || cursor.rfind("t:", 0) != 0 ||
        cursor.find_first_not_of("0123456789", 2) != std::string::npos)
      return reply(r, nullptr, "invalid_input", rpc::kInvalidParams, "tasks/list: invalid cursor");
    offset = std::stoll(cursor.substr(2));
  }
  auto jobs = engine_.list(r->principal, std::nullopt, kListPage + 1, offset);
  // The spec's answer to a cursor that names no page (past the end, or its tasks expired).
  if (offset > 0 && jobs.empty())
    return reply(r, nullptr, "invalid_input", rpc::kInvalidParams, "tasks/list: invalid cursor (past the end of the list)");
  bool more = static_cast<std::int64_t>(jobs.size()) > kListPage;
  if (more) jobs.pop_back();
  json::array tasks;
  for (auto& j : jobs)
    if (server_.job_tool_refusal(r->principal, j.tool).empty()) {
      server_.redact_stored_job(j);
      tasks.push_back(task_2025(j, engine_.config().poll_interval_ms));
    }
  json::object res{{"tasks", std::move(tasks)}};
  if (more) res["nextCursor"] = "t:" + std::to_string(offset + kListPage);
  reply(r, std::move(res), "success");
}

void TaskMethods::cancel(const std::shared_ptr<Request>& r) {
  if (auto found = engine_.find(r->principal, r->task_id); found && refuse_forbidden(r, found->tool)) return;
  JobRecord job;
  auto outcome = engine_.cancel(r->principal, r->task_id, "cancelled by the client with tasks/cancel", job);
  if (outcome == JobEngine::CancelResult::NotFound)
    return reply(r, nullptr, "tool_error", rpc::kInvalidParams, kNotFound);
  r->traceparent = job.traceparent;
  if (r->session.stateless) return reply(r, json::object(), "success");  // the extension's cancel is an ack
  if (outcome == JobEngine::CancelResult::AlreadyTerminal)
    return reply(r, nullptr, "tool_error", rpc::kInvalidParams,
                 std::string("Cannot cancel task: already in terminal status '") + task_status_2025(job.status) + "'");
  reply(r, task_2025(job, engine_.config().poll_interval_ms), "success");
}

void TaskMethods::update(const std::shared_ptr<Request>& r) {
  // toolgate's jobs never wait for input, so there is nothing to route; the spec asks for an
  // acknowledgement and for responses to unknown requests to be ignored.
  auto job = engine_.find(r->principal, r->task_id);
  if (!job) return reply(r, nullptr, "tool_error", rpc::kInvalidParams, kNotFound);
  if (refuse_forbidden(r, job->tool)) return;
  r->traceparent = job->traceparent;
  reply(r, json::object(), "success");
}

void TaskMethods::reply(const std::shared_ptr<Request>& r, json::value result, const std::string& outcome, int code,
                        std::string message, const json::value& data) {
  CallRecord rec;
  rec.tool = r->method;
  rec.plugin = "toolgate";
  rec.plugin_version = server_.options().server_version;
  rec.principal = r->principal;
  rec.input = r->params;
  rec.outcome = outcome;
  rec.error_code = code ? std::to_string(code) : "";
  rec.error_message = message;
  rec.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - r->started).count();
  rec.request_id = r->id;
  rec.traceparent = r->traceparent;
  rec.client_name = r->session.client_name;
  rec.client_version = r->session.client_version;
  rec.job_id = r->task_id;
  std::string why;
  if (!server_.policy().record(rec, why)) {
    spdlog::error("audit: entry for {} of task {} could not be written: {}", r->method, r->task_id, why);
    code = rpc::kInternalError;
    message = "the answer is withheld because the audit trail could not be written: " + why;
  }
  if (code) {
    server_.respond(r->batch, make_error(r->id, code, message, data));
    return;
  }
  if (r->session.stateless) {
    json::object& o = result.as_object();
    o["resultType"] = "complete";
    json::value& meta = o["_meta"];
    if (!meta.is_object()) meta = json::object();
    for (auto& kv : server_.server_info_meta()) meta.get_object()[kv.key()] = kv.value();
  }
  server_.respond(r->batch, make_response(r->id, std::move(result)));
}

// Server's choice of how a tools/call runs; here because it is the tasks half of dispatch.
bool Server::choose_task_mode(const Message& m, const std::shared_ptr<BatchCollector>& batch,
                              const SessionInfo& session, const ToolManifest& tool, CallExtras& extras) {
  if (!tasks_) return true;
  const json::object& caps = session.client_capabilities;
  if (session.stateless) {
    // The extension is server-directed: a client that declares it gets a task for job tools.
    const json::value* ext = caps.if_contains("extensions");
    bool declared = ext && ext->is_object() && ext->get_object().contains(kTasksExtension);
    if (declared && tool.task_support != "forbidden" && (tool.execution == "job" || tool.task_support == "required"))
      extras.task_mode = TaskMode::Extension2026;
    return true;
  }
  // 2025-11-25: task augmentation is the client's choice, within the tool's execution.taskSupport.
  // It hangs on the server's capability (tasks.requests.tools.call, advertised to every
  // 2025-11-25 client), not the client's: a client's `tasks` lists what it accepts as a receiver.
  if (!features_of(session.version).icons) return true;
  const json::value* task = m.params->if_contains("task");
  if (!task) {
    if (tool.task_support == "required") {
      refuse_tool_call(m, batch, session, rpc::kMethodNotFound,
                  "tool " + tool.name + " must be called as a task (its execution.taskSupport is \"required\"): add "
                  "params.task");
      return false;
    }
    return true;
  }
  if (!task->is_object()) {
    refuse_tool_call(m, batch, session, rpc::kInvalidParams, "tools/call: params.task must be an object");
    return false;
  }
  if (tool.task_support == "forbidden") {
    refuse_tool_call(m, batch, session, rpc::kMethodNotFound,
                "tool " + tool.name + " does not support task-augmented execution (its execution.taskSupport is "
                "\"forbidden\")");
    return false;
  }
  if (const json::value* ttl = task->get_object().if_contains("ttl"); ttl && !ttl->is_null()) {
    if (!ttl->is_number() || ttl->to_number<double>() < 0) {
      refuse_tool_call(m, batch, session, rpc::kInvalidParams, "tools/call: params.task.ttl must be a number of milliseconds >= 0");
      return false;
    }
    extras.task_ttl_ms = static_cast<std::int64_t>(std::min(ttl->to_number<double>(), 9.0e15));
  }
  extras.task_mode = TaskMode::Mcp2025;
  return true;
}

void TaskMethods::on_job_event(const JobEvent& ev) {
  CallRecord rec;
  rec.tool = ev.job.tool;
  rec.plugin = ev.job.plugin;
  rec.plugin_version = ev.plugin_version;
  rec.manifest_digest = ev.manifest_digest;
  rec.principal = ev.principal;
  rec.input = ev.input;
  rec.outcome = ev.outcome;
  if (ev.job.status != JobStatus::Complete) {
    rec.error_code = ev.job.error_code;
    rec.error_message = ev.job.error_message;
  }
  rec.latency_ms = ev.latency_ms;
  rec.traceparent = ev.job.traceparent;
  rec.job_id = ev.job.id;
  std::string why;
  if (!server_.policy().record(rec, why))
    spdlog::error("audit: entry for the end of job {} ({}) could not be written: {}", ev.job.id, ev.outcome, why);
  if (ev.notify_task_status)
    server_.notify(make_notification("notifications/tasks/status", task_2025(ev.job, engine_.config().poll_interval_ms)));
}

}  // namespace toolgate
