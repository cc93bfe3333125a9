#include "protocol/tool_call.hpp"

#include <spdlog/spdlog.h>

#include "policy/error_result.hpp"
#include "policy/scopes.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/render.hpp"
#include "protocol/versions.hpp"
#include "util/output_deferral.hpp"

namespace toolgate {

namespace json = boost::json;

ToolCall::ToolCall(Server& server, json::value id, std::shared_ptr<const ToolEntry> tool, json::object args,
                   CallExtras extras, SessionInfo session, std::shared_ptr<BatchCollector> batch)
    : server_(server), id_(std::move(id)), key_(id_key(id_)), tool_(std::move(tool)), args_(std::move(args)),
      extras_(std::move(extras)), session_(std::move(session)), batch_(std::move(batch)),
      started_(std::chrono::steady_clock::now()), policy_(server.policy().snapshot()) {}

void ToolCall::run() {
  if (cancelled_) {
    finish(error_result("cancelled", "the call was cancelled before it started"), "cancelled", "cancelled", "");
    return;
  }
  CallPolicy& policy = *policy_;
  const ToolManifest& m = *tool_->manifest;

  AuthDecision auth = policy.authenticate();
  if (!auth.ok) return deny("unauthenticated", auth.reason);
  principal_ = std::move(auth.principal);

  std::string forbidden = policy.tool_forbidden(principal_, m.name);
  if (!forbidden.empty()) return deny("forbidden", forbidden);

  std::string scope = policy.required_scope(m);
  if (scope.empty())
    return deny("insufficient_scope", "tool " + m.name +
                                          " declares no required scope and the policy names none, so nobody may call it",
                json::object{{"requiredScope", nullptr}});
  if (!scope_granted(principal_.scopes, scope))
    return deny("insufficient_scope",
                "calling " + m.name + " requires the scope '" + scope + "', which your credential does not grant",
                json::object{{"requiredScope", scope}});

  std::unique_ptr<CallTicket> ticket;
  RateDecision rate = policy.admit(principal_, m, ticket);
  if (!rate.allowed)
    return deny("rate_limited", rate.message,
                json::object{{"retryAfterSeconds", rate.retry_after_seconds}, {"limit", rate.limit}});

  std::string invalid = tool_->input_validator->validate(args_);
  if (!invalid.empty()) return deny("invalid_input", "invalid arguments for " + m.name + ": " + invalid);

  std::string why;
  if (!policy.audit_ready(why))
    return deny("internal", "the call was refused because the audit trail cannot be written: " + why);

  admitted_ = true;
  if (policy.consent_needed(principal_, m) && !obtain_consent()) return;
  if (tool_->builtin) return invoke_builtin();
  if (extras_.task_mode != TaskMode::None || m.execution == "job") return start_job();
  invoke();
}

void ToolCall::deny(const std::string& outcome, const std::string& message, const json::object& extra) {
  refuse(error_result(outcome, message, extra), outcome, outcome, message);
}

json::object ToolCall::refusal_error(const std::string& outcome, const std::string& message, const json::object& result) {
  int code = outcome == "invalid_input" ? rpc::kInvalidParams
             : outcome == "unauthenticated" || outcome == "insufficient_scope" || outcome == "forbidden"
                 ? rpc::kForbidden
                 : rpc::kServerError;
  json::object out{{"code", code}, {"message", message}};
  // The same machine-readable copy a tool result carries.
  if (auto* meta = result.if_contains("_meta"); meta && meta->is_object())
    if (auto* e = meta->get_object().if_contains(kErrorMetaKey))
      out["data"] = json::object{{std::string(kErrorMetaKey), *e}};
  return out;
}

void ToolCall::refuse(json::object result, const std::string& outcome, const std::string& error_code,
                      const std::string& message) {
  // A task-augmented request must be answered with a task or an error: a plain tool result
  // would not parse as a CreateTaskResult.
  if (extras_.task_mode == TaskMode::Mcp2025) {
    json::object rpc_error = refusal_error(outcome, message, result);
    return finish(std::move(result), outcome, error_code, message, rpc_error);
  }
  finish(std::move(result), outcome, error_code, message);
}

void ToolCall::invoke() {
  const ToolManifest& m = *tool_->manifest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    plugin_running_ = true;
  }
  std::string thrown;
  int rc = invoke_plugin_tool(*tool_, *this, args_, thrown);
  std::optional<json::object> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    plugin_running_ = false;
    if (stand_in_lent_) server_.pool().return_stand_in();
    stand_in_lent_ = false;
    result = std::move(result_);
  }
  if (finished_) return;  // timed out or cancelled meanwhile; that path already answered
  if (client_cancelled_) {
    finish(error_result("cancelled", "cancelled by the client"), "cancelled", "cancelled", "cancelled by the client");
    return;
  }
  if (!thrown.empty() || !result) {
    std::string why = !thrown.empty() ? "tool " + m.name + " threw across the plugin boundary: " + thrown
                                      : "tool " + m.name + " returned without a result (code " + std::to_string(rc) + ")";
    finish(error_result("internal", why), "internal", "internal", why);
    return;
  }
  // Response redaction (policy `redact`): after output validation, which judges what the plugin
  // produced, and before the error text for the audit entry is taken from the result.
  std::shared_ptr<const ResponseRedaction> redaction = policy_->response_redaction();
  bool is_error = result->contains("isError") && (*result)["isError"] == true;
  if (is_error) {
    if (redaction) redaction->apply_to_result(m.name, *result);
    std::string text = "tool error";
    if (auto* c = result->if_contains("content"); c && c->is_array() && !c->get_array().empty()) {
      const json::value& first = c->get_array()[0];
      if (first.is_object() && first.get_object().contains("text") && first.get_object().at("text").is_string())
        text = std::string(first.get_object().at("text").get_string());
    }
    json::object& meta = (*result)["_meta"].is_object() ? (*result)["_meta"].get_object()
                                                         : ((*result)["_meta"] = json::object()).get_object();
    if (!meta.contains(kErrorMetaKey)) meta[kErrorMetaKey] = json::object{{"code", "tool_error"}, {"message", text}};
    finish(std::move(*result), "tool_error", "tool_error", text);
    return;
  }
  if (tool_->output_validator) {
    auto* sc = result->if_contains("structuredContent");
    std::string invalid = !sc ? "no structuredContent although the tool declares an outputSchema"
                              : tool_->output_validator->validate(*sc);
    if (!invalid.empty()) {
      std::string why = "tool " + m.name + " returned output that does not match its outputSchema: " + invalid;
      finish(error_result("internal", why), "internal", "invalid_output", why);
      return;
    }
  }
  if (redaction) redaction->apply_to_result(m.name, *result);
  finish(std::move(*result), "success", "", "");
}

void ToolCall::finish(json::object result, const std::string& outcome, const std::string& error_code,
                      const std::string& error_message, const json::value& rpc_error) {
  bool expected = false;
  if (!finished_.compare_exchange_strong(expected, true)) return;
  server_.watch().cancel(deadline_id_);

  CallRecord rec;
  const ToolManifest& m = *tool_->manifest;
  rec.tool = m.name;
  if (tool_->plugin) {
    rec.plugin = tool_->plugin->manifest().name;
    rec.plugin_version = tool_->plugin->manifest().version;
    rec.manifest_digest = tool_->plugin->manifest().digest;
  } else {
    rec.plugin = "toolgate";  // a host tool
    rec.plugin_version = server_.options().server_version;
  }
  rec.principal.subject = principal_.subject;  // all an audit entry records of the principal
  rec.principal.tenant = principal_.tenant;
  rec.input = args_;
  rec.outcome = outcome;
  rec.error_code = error_code;
  rec.error_message = error_message;
  rec.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
  rec.request_id = id_;
  rec.traceparent = audit_traceparent_.empty() ? extras_.traceparent : audit_traceparent_;
  rec.job_id = job_id_;
  rec.consent_id = consent_id_;
  rec.client_name = session_.client_name;
  rec.client_version = session_.client_version;
  // On the stdin reader the call is let go here: the continuation holds only the reply's shape
  // and the result, never the call. Whoever writes the entry renders and sends the response:
  // with a pipelined burst that is the audit log's writer thread (AuditLog::flush_deferred), which
  // has time to spare while the reader is the bottleneck, so serialising the response is not
  // left on the reader. The result is freed with the continuation, back on the reader. A JSON-RPC
  // batch (its collector) and a call the client has cancelled (no response at all) take the
  // general path below.
  if (!batch_ && !client_cancelled_ && OutputDeferral::active()) {
    ReplyShape shape = reply_shape();
    server_.call_finished(key_);
    policy_->record_then(std::move(rec), [shape = std::move(shape), result = std::move(result), rpc_error](
                                             bool recorded, const std::string& why) mutable {
      shape.server->respond(nullptr, answer_line(shape, result, rpc_error, recorded, why));
    });
    return;
  }
  // The response waits for the entry: deliver() runs once it is in the file, on whichever
  // thread wrote it (this one, or the audit writer of a later batch).
  policy_->record_then(std::move(rec), [self = shared_from_this(), result = std::move(result), rpc_error](
                                           bool recorded, const std::string& why) mutable {
    self->deliver(std::move(result), rpc_error, recorded, why);
  });
}

ToolCall::ReplyShape ToolCall::reply_shape() const {
  return ReplyShape{&server_, id_, session_.version, consent_id_, session_.stateless, admitted_, extras_.task_mode};
}

std::string ToolCall::reply_line(const ReplyShape& shape, json::object& result, const json::value& error) {
  if (error.is_object()) {
    const json::object& e = error.get_object();
    return make_error(shape.id, static_cast<int>(e.at("code").to_number<std::int64_t>()),
                      std::string(e.at("message").as_string()), e.contains("data") ? e.at("data") : json::value());
  }
  adapt_result(result, shape.version);
  if (!shape.consent_id.empty() || shape.stateless) {
    json::object& meta = result["_meta"].is_object() ? result["_meta"].get_object()
                                                     : (result["_meta"] = json::object()).get_object();
    if (!shape.consent_id.empty()) meta["dev.toolgate/consentId"] = shape.consent_id;
    if (shape.stateless)
      for (auto& kv : shape.server->server_info_meta()) meta[kv.key()] = kv.value();
  }
  if (shape.stateless && !result.contains("resultType")) result["resultType"] = "complete";
  return make_response(shape.id, result);
}

std::string ToolCall::answer_line(const ReplyShape& shape, json::object& result, const json::value& error, bool recorded,
                                  const std::string& why) {
  if (!recorded) return withheld_line(shape, why);
  try {
    return reply_line(shape, result, error);
  } catch (const std::exception& e) {  // e.g. out of memory: the client still gets an answer
    spdlog::error("the response to a call could not be rendered: {}", e.what());
    return make_error(shape.id, rpc::kInternalError, std::string("the result could not be sent: ") + e.what());
  }
}

std::string ToolCall::withheld_line(const ReplyShape& shape, const std::string& why) {
  std::string message = shape.admitted ? "the result is withheld because the audit trail could not be written: " + why
                                       : "the call was refused because the audit trail cannot be written: " + why;
  json::object result = error_result("internal", message);
  json::value error;  // a task-augmented request is answered with an error, as in refuse()
  if (shape.task_mode == TaskMode::Mcp2025) error = refusal_error("internal", message, result);
  return reply_line(shape, result, error);
}

void ToolCall::deliver(json::object result, const json::value& rpc_error, bool recorded, const std::string& why) {
  if (!recorded)  // the condition itself is logged once by the audit log, not once per refused call
    spdlog::debug("audit: entry for call {} to {} could not be written: {}", key_, tool_->manifest->name, why);
  if (client_cancelled_)
    server_.skip_response(batch_);
  else
    server_.respond(batch_, answer_line(reply_shape(), result, rpc_error, recorded, why));
  server_.call_finished(key_);
}

void ToolCall::cancel_by_client() {
  client_cancelled_ = true;
  cancelled_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  if (waiting_on_) ClientRequests::abort(*waiting_on_);
  // The response is suppressed; the audit entry is written when the plugin returns or, for a
  // plugin that ignores cancellation, when the deadline passes.
}

void ToolCall::expire(const std::string& why) {
  cancelled_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiting_on_) ClientRequests::abort(*waiting_on_);
  }
  if (finished_) return;
  if (client_cancelled_) {
    finish(error_result("cancelled", "cancelled by the client"), "cancelled", "cancelled", "cancelled by the client");
  } else {
    finish(error_result("timeout", why), "timeout", "timeout", why);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (plugin_running_ && !stand_in_lent_) stand_in_lent_ = server_.pool().lend_stand_in();
}

void ToolCall::log(int level, std::string_view msg) {
  static const int to_mcp[] = {0, 1, 2, 3, 4};  // tg_log_level order matches MCP's first five
  int mcp = to_mcp[level < 0 ? 0 : level > 4 ? 4 : level];
  spdlog::debug("plugin {} / {}: {}", tool_->plugin ? tool_->plugin->manifest().name : "toolgate",
                tool_->manifest->name, msg);
  // The 2026 era sends log messages only when the request asked for them, at its level.
  int threshold = session_.stateless ? session_.log_level : server_.log_level();
  if (mcp < threshold || finished_) return;
  json::object params{{"level", log_level_name(mcp)}, {"logger", tool_->manifest->name}, {"data", msg}};
  server_.notify(make_notification("notifications/message", std::move(params)));
}

int ToolCall::report_progress(double progress, double total, std::string_view msg) {
  if (extras_.progress_token.is_null()) return TG_OK;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (progress <= last_progress_) return TG_ERR_INVALID;  // MCP requires progress to increase
    last_progress_ = progress;
  }
  if (finished_) return TG_ERR_CANCELLED;
  json::object params{{"progressToken", extras_.progress_token}, {"progress", progress}};
  if (total > 0) params["total"] = total;
  if (!msg.empty() && features_of(session_.version).annotations) params["message"] = msg;
  server_.notify(make_notification("notifications/progress", std::move(params)));
  return TG_OK;
}

int ToolCall::emit_partial(std::string_view json_text) {
  // Partial results matter for jobs (polled through the job tools); a plain call has no reader.
  json::value v;
  std::string err;
  return parse_json_line(json_text, v, err) ? TG_OK : TG_ERR_INVALID;
}

int ToolCall::set_result(std::string_view json_text) {
  std::optional<json::object> parsed = parse_call_result(json_text);
  if (!parsed) return TG_ERR_INVALID;
  std::lock_guard<std::mutex> lock(mu_);
  if (result_) return TG_ERR_FINISHED;
  result_ = std::move(*parsed);
  return finished_ ? TG_ERR_CANCELLED : TG_OK;
}

int ToolCall::set_error(std::string_view msg) {
  std::string text = msg.empty() ? "the tool failed" : std::string(msg);
  json::object r = error_result("tool_error", text);
  std::lock_guard<std::mutex> lock(mu_);
  if (result_) return TG_ERR_FINISHED;
  result_ = std::move(r);
  return finished_ ? TG_ERR_CANCELLED : TG_OK;
}

bool ToolCall::client_declared(const std::string& method) const {
  std::string cap = method.substr(0, method.find('/'));
  // A version from before elicitation existed has no such method, whatever the client lists.
  if (cap == "elicitation" && !features_of(session_.version).elicitation) return false;
  return session_.client_capabilities.contains(cap);
}

bool ToolCall::client_supports_elicitation_mode(const json::object& params) const {
  const json::value* mode = params.if_contains("mode");
  if (!mode || *mode == "form") return client_supports_form_elicitation();  // no mode means form
  if (!mode->is_string()) return false;
  const json::value* e = session_.client_capabilities.if_contains("elicitation");
  return e && e->is_object() && e->get_object().contains(mode->get_string());
}

int ToolCall::client_request(const std::string& method, std::string_view params_json, std::uint32_t timeout_ms,
                             std::string& reply) {
  if (session_.stateless) {
    // 2026-07-28 has no server-to-client requests: input reaches the server only through an
    // input_required result and the client's retry, which toolgate uses for consent. A request
    // sent anyway would go unanswered (the v2 clients drop it) and the tool would wait out its
    // timeout, so refuse at once and say why.
    reply = json::serialize(json::object{
        {"code", rpc::kMethodNotFound},
        {"message", "toolgate cannot send " + method + " to this client: protocol 2026-07-28 has no requests from "
                    "server to client while a tool runs (only input_required results, which toolgate uses for "
                    "consent); the tool must do without it"}});
    spdlog::debug("plugin {} / {}: refused {} for a 2026-07-28 request", tool_->plugin ? tool_->plugin->manifest().name : "toolgate",
                  tool_->manifest->name, method);
    return TG_ERR_UNSUPPORTED;
  }
  if (method == "elicitation/create" || method == "sampling/createMessage" || method == "roots/list") {
    if (!client_declared(method)) {
      reply = json::serialize(json::object{{"code", rpc::kMethodNotFound},
                                           {"message", "the client did not declare the capability " + method.substr(0, method.find('/'))}});
      return TG_ERR_UNSUPPORTED;
    }
  } else {
    reply = json::serialize(json::object{{"code", rpc::kInvalidRequest}, {"message", "toolgate does not relay " + method}});
    return TG_ERR_UNSUPPORTED;
  }
  json::value params;
  std::string err;
  if (!parse_json_line(params_json, params, err) || !params.is_object()) return TG_ERR_INVALID;
  // The spec: never send an elicitation in a mode the client did not declare.
  if (method == "elicitation/create" && !client_supports_elicitation_mode(params.get_object())) {
    const json::value* mode = params.get_object().if_contains("mode");
    reply = json::serialize(json::object{
        {"code", rpc::kMethodNotFound},
        {"message", "the client did not declare elicitation mode " +
                        (mode && mode->is_string() ? std::string(mode->get_string()) : std::string("form"))}});
    return TG_ERR_UNSUPPORTED;
  }
  if (cancelled_) return TG_ERR_CANCELLED;
  // Not a structured binding: the wait predicate below captures pending, which C++20 does not
  // allow for bindings (clang rejects it).
  auto opened = server_.client_requests().open();
  auto rid = opened.first;
  auto pending = opened.second;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_on_ = pending;
  }
  server_.notify(make_request(rid, method, std::move(params)));
  auto wait = std::chrono::milliseconds(timeout_ms ? timeout_ms : server_.options().client_request_timeout_ms);
  int rc;
  {
    std::unique_lock<std::mutex> lock(pending->mu);
    bool answered = pending->cv.wait_for(lock, wait, [&] { return pending->done || pending->aborted; });
    if (pending->done) {
      reply = pending->payload;
      rc = pending->is_error ? TG_ERR : TG_OK;
    } else {
      rc = answered ? TG_ERR_CANCELLED : TG_ERR_TIMEOUT;
    }
  }
  server_.client_requests().close(rid);
  if (rc == TG_ERR_TIMEOUT || rc == TG_ERR_CANCELLED) {
    // Nobody waits for the answer any more: tell the client, so it can close the form or stop
    // the sampling it is showing (lifecycle, Timeouts), and tell the plugin in words.
    std::string why = rc == TG_ERR_TIMEOUT
                          ? "the client did not answer " + method + " within " + std::to_string(wait.count()) + " ms"
                          : "the tool call ended while waiting for the client's answer to " + method;
    server_.notify(make_notification("notifications/cancelled", json::object{{"requestId", rid}, {"reason", why}}));
    constexpr int kRequestTimeout = -32001;  // the code the MCP SDKs give a request that timed out
    reply = json::serialize(json::object{{"code", kRequestTimeout}, {"message", why}});
  }
  std::lock_guard<std::mutex> lock(mu_);
  waiting_on_.reset();
  return rc;
}

}  // namespace toolgate
