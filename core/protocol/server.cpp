#include "protocol/server.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "jobs/job_engine.hpp"
#include "jobs/job_tools.hpp"
#include "jobs/tasks.hpp"
#include "policy/scopes.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/render.hpp"
#include "protocol/task_methods.hpp"
#include "protocol/tool_call.hpp"
#include "protocol/versions.hpp"
#include "transport/reader_baton.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {
const char* const kLevels[] = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
}

int log_level_index(std::string_view name) {
  for (int i = 0; i < 8; ++i)
    if (name == kLevels[i]) return i;
  return -1;
}
const char* log_level_name(int index) { return kLevels[index < 0 ? 0 : index > 7 ? 7 : index]; }

// ---- batches ---------------------------------------------------------------------------------

void BatchCollector::add(std::string response) {
  std::lock_guard<std::mutex> l(mu_);
  if (!joined_.empty()) joined_.push_back(',');
  joined_ += response;
  --outstanding_;
  maybe_flush();
}

void BatchCollector::skip() {
  std::lock_guard<std::mutex> l(mu_);
  --outstanding_;
  maybe_flush();
}

void BatchCollector::sealed() {
  std::lock_guard<std::mutex> l(mu_);
  sealed_ = true;
  maybe_flush();
}

void BatchCollector::maybe_flush() {
  if (!sealed_ || outstanding_ != 0 || flushed_) return;
  flushed_ = true;
  // A batch of only notifications gets no response at all (JSON-RPC 2.0, section 6).
  if (!joined_.empty()) out_.write_line("[" + joined_ + "]");
}

// ---- server ----------------------------------------------------------------------------------

Server::Server(ServerOptions options, LineWriter& out, ToolRegistry& registry, WorkerPool& pool, DeadlineWatch& watch,
               CallPolicy& policy)
    : options_(std::move(options)), out_(out), registry_(registry), pool_(pool), watch_(watch), policy_(policy),
      request_states_(options_.request_state_key, std::chrono::seconds(300), options_.request_state_spent_dir),
      subscriptions_(out), log_level_(log_level_index("info")) {
  // Calls whose audit entries were written in one batch answer together: one write(2) for all.
  LineWriter* writer = &out_;
  policy_.set_completion_scope([writer](const std::function<void()>& run) {
    LineWriter::Burst burst(*writer);
    run();
  });
}

json::object Server::server_info_meta() const {
  return json::object{{"io.modelcontextprotocol/serverInfo",
                       json::object{{"name", options_.server_name}, {"version", options_.server_version}}}};
}

Server::~Server() { policy_.set_completion_scope(nullptr); }

void Server::set_jobs(JobEngine* engine, std::string unavailable) {
  jobs_ = engine;
  jobs_unavailable_ = std::move(unavailable);
  if (!engine) return;
  tasks_ = std::make_unique<TaskMethods>(*this, *engine);
  engine->set_observer([this](const JobEvent& ev) { tasks_->on_job_event(ev); });
}

void Server::respond(const std::shared_ptr<BatchCollector>& batch, std::string line) {
  if (batch)
    batch->add(std::move(line));
  else
    out_.write_line(line);
}

void Server::skip_response(const std::shared_ptr<BatchCollector>& batch) {
  if (batch) batch->skip();
}

void Server::notify(std::string line) { out_.write_line(line); }

void Server::reply_error(const std::shared_ptr<BatchCollector>& batch, const json::value& id, int code,
                         const std::string& message) {
  if (batch) batch->expect();
  respond(batch, make_error(id, code, message));
}

void Server::handle_oversized(std::size_t limit) {
  spdlog::warn("protocol: dropped a message longer than {} bytes", limit);
  out_.write_line(make_error(nullptr, rpc::kInvalidRequest,
                             "message exceeds the maximum size of " + std::to_string(limit) +
                                 " bytes (see --max-message-bytes)"));
}

void Server::handle_line(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank lines are not messages
  json::value v;
  std::string err;
  if (!parse_json_line(line, v, err)) {
    out_.write_line(make_error(nullptr, rpc::kParseError, "Parse error: " + err));
    return;
  }
  if (!v.is_array()) {
    dispatch(v, nullptr);
    return;
  }
  const json::array& arr = v.get_array();
  if (!features_of(session_.version).batches) {
    out_.write_line(make_error(nullptr, rpc::kInvalidRequest,
                               session_.version.empty()
                                   ? "JSON-RPC batches are not accepted before initialize"
                                   : "JSON-RPC batches are not supported in protocol version " + session_.version +
                                         " (only 2025-03-26 has them)"));
    return;
  }
  if (arr.empty()) {
    out_.write_line(make_error(nullptr, rpc::kInvalidRequest, "empty batch"));
    return;
  }
  auto batch = std::make_shared<BatchCollector>(out_);
  for (const auto& item : arr) dispatch(item, batch);
  batch->sealed();
}

void Server::dispatch(const json::value& v, const std::shared_ptr<BatchCollector>& batch) {
  Message m = classify(v);
  switch (m.kind) {
    case Message::Kind::Invalid:
      reply_error(batch, m.id, rpc::kInvalidRequest, "Invalid Request: " + m.invalid_reason);
      return;
    case Message::Kind::Response:
      if (!m.invalid_reason.empty()) {  // never answered: see classify()
        spdlog::warn("protocol: ignored a malformed response from the client: {}", m.invalid_reason);
        return;
      }
      if (!client_requests_.deliver(m.id, m.result, m.error))
        spdlog::debug("protocol: ignored a response to unknown request id {}", json::serialize(m.id));
      return;
    case Message::Kind::Notification:
      handle_notification(m);
      return;
    case Message::Kind::Request:
      handle_request(m, batch);
      return;
  }
}

void Server::handle_notification(const Message& m) {
  if (m.method == "notifications/initialized") {
    initialized_ = true;
  } else if (m.method == "notifications/cancelled") {
    const json::value* rid = m.params ? m.params->if_contains("requestId") : nullptr;
    if (!rid) return;
    if (subscriptions_.cancel(*rid)) return;  // a 2026 listen stream: closed, and no response follows
    std::shared_ptr<ToolCall> call;
    {
      std::lock_guard<std::mutex> lock(inflight_mu_);
      auto it = inflight_.find(id_key(*rid));
      if (it != inflight_.end()) call = it->second;
    }
    if (call) call->cancel_by_client();
  } else {
    spdlog::debug("protocol: ignored notification {}", m.method);
  }
}

namespace {
// A request belongs to the 2026-07-28 era when its _meta carries any key of the per-request
// envelope. Keying on all of them, not just the version, means a modern request that forgot its
// version is told so (-32602) instead of being asked to initialize. (2025-11-25's
// io.modelcontextprotocol/related-task is not an envelope key.)
bool has_modern_envelope(const json::object* meta) {
  if (!meta) return false;
  for (const char* k : {"io.modelcontextprotocol/protocolVersion", "io.modelcontextprotocol/clientCapabilities",
                        "io.modelcontextprotocol/clientInfo", "io.modelcontextprotocol/logLevel"})
    if (meta->contains(k)) return true;
  return false;
}
}  // namespace

void Server::handle_request(const Message& m, const std::shared_ptr<BatchCollector>& batch) {
  const json::object* meta = request_meta(m);
  if (m.method != "initialize" && (m.method == "server/discover" || has_modern_envelope(meta))) {
    handle_stateless(m, batch);
    return;
  }
  if (m.method == "tools/call" && initialize_seen_) {
    on_tools_call(m, batch, session_);
    return;
  }
  // Tasks exist from 2025-11-25 on, and only when this server runs jobs.
  if (m.method.rfind("tasks/", 0) == 0 && initialize_seen_ && tasks_ && features_of(session_.version).icons) {
    tasks_->handle(m, batch, session_);
    return;
  }
  json::value result;
  std::string error;
  int code = 0;
  if (m.method == "initialize") {
    result = on_initialize(m, error, code);
  } else if (m.method == "ping") {
    result = json::object();
  } else if (!initialize_seen_) {
    code = rpc::kInvalidRequest;
    error = "the server is not initialized: send initialize first (or, for protocol 2026-07-28, carry "
            "params._meta[\"io.modelcontextprotocol/protocolVersion\"] and clientCapabilities in every request)";
  } else if (m.method == "tools/list") {
    result = on_tools_list(m, error, code, session_.version);
  } else if (m.method == "logging/setLevel") {
    result = on_set_level(m, error, code);
  } else {
    code = rpc::kMethodNotFound;
    error = "Method not found: " + m.method;
  }
  if (batch) batch->expect();
  respond(batch, code ? make_error(m.id, code, error) : make_response(m.id, std::move(result)));
}

json::value Server::on_initialize(const Message& m, std::string& error, int& code) {
  if (initialize_seen_) {
    code = rpc::kInvalidRequest;
    error = "initialize may be sent only once per session";
    return nullptr;
  }
  const json::value* pv = m.params ? m.params->if_contains("protocolVersion") : nullptr;
  if (!pv || !pv->is_string()) {
    code = rpc::kInvalidParams;
    error = "initialize: params.protocolVersion must be a string";
    return nullptr;
  }
  const json::value* caps = m.params->if_contains("capabilities");
  const json::value* info = m.params->if_contains("clientInfo");
  if ((caps && !caps->is_object()) || (info && !info->is_object())) {
    code = rpc::kInvalidParams;
    error = "initialize: params.capabilities and params.clientInfo must be objects";
    return nullptr;
  }
  initialize_seen_ = true;
  session_.version = negotiate_version(pv->get_string());
  if (caps) session_.client_capabilities = caps->get_object();
  if (info) {
    if (auto* n = info->get_object().if_contains("name"); n && n->is_string()) session_.client_name = n->get_string();
    if (auto* v = info->get_object().if_contains("version"); v && v->is_string())
      session_.client_version = v->get_string();
  }
  json::object server_info{{"name", options_.server_name}, {"version", options_.server_version}};
  if (features_of(session_.version).title) server_info["title"] = "toolgate";
  json::object capabilities{{"tools", json::object{{"listChanged", true}}}, {"logging", json::object()}};
  if (tasks_ && features_of(session_.version).icons)
    capabilities["tasks"] = json::object{{"list", json::object()},
                                         {"cancel", json::object()},
                                         {"requests", json::object{{"tools", json::object{{"call", json::object()}}}}}};
  json::object result{{"protocolVersion", session_.version}, {"capabilities", std::move(capabilities)},
                      {"serverInfo", std::move(server_info)}};
  if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
  spdlog::info("session: client {} {} negotiated protocol {}", shown_in_message(session_.client_name),
               shown_in_message(session_.client_version), session_.version);
  return result;
}

json::value Server::on_tools_list(const Message& m, std::string& error, int& code, const std::string& version) {
  std::size_t offset = 0;
  if (const json::value* c = m.params ? m.params->if_contains("cursor") : nullptr) {
    std::string cursor = c->is_string() ? std::string(c->get_string()) : "";
    bool ok = cursor.size() > 2 && cursor.rfind("o:", 0) == 0 &&
              cursor.find_first_not_of("0123456789", 2) == std::string::npos && cursor.size() < 12;
    if (!ok) {
      code = rpc::kInvalidParams;
      error = "tools/list: invalid cursor";
      return nullptr;
    }
    offset = std::stoul(cursor.substr(2));
  }
  auto table = registry_.snapshot();
  std::vector<const ToolManifest*> visible;
  std::shared_ptr<CallPolicy> policy = policy_.snapshot();
  bool filter = policy->filter_tool_list();
  bool by_tenant = policy->restricts_tools_by_tenant();
  AuthDecision who;
  if (filter || by_tenant) {
    who = policy->authenticate();
    if (!who.ok) spdlog::warn("tools/list: no tools shown: {}", who.reason);
  }
  for (const auto& t : table->tools) {
    if ((filter || by_tenant) && !who.ok) continue;
    if (filter && !scope_granted(who.principal.scopes, policy->required_scope(*t->manifest))) continue;
    // A tool the caller's tenant may not use is never shown, even when the list shows all tools.
    if (by_tenant && !policy->tool_forbidden(who.principal, t->manifest->name).empty()) continue;
    visible.push_back(t->manifest);
  }
  if (offset > visible.size()) {
    code = rpc::kInvalidParams;
    error = "tools/list: invalid cursor";
    return nullptr;
  }
  json::array tools;
  std::size_t end = std::min(visible.size(), offset + options_.page_size);
  auto redaction = policy->response_redaction();
  for (std::size_t i = offset; i < end; ++i) tools.push_back(render_tool(*visible[i], version, redaction.get()));
  json::object result{{"tools", std::move(tools)}};
  if (end < visible.size()) result["nextCursor"] = "o:" + std::to_string(end);
  return result;
}

json::value Server::on_set_level(const Message& m, std::string& error, int& code) {
  const json::value* lv = m.params ? m.params->if_contains("level") : nullptr;
  int idx = lv && lv->is_string() ? log_level_index(lv->get_string()) : -1;
  if (idx < 0) {
    code = rpc::kInvalidParams;
    error = "logging/setLevel: params.level must be one of debug, info, notice, warning, error, critical, alert, emergency";
    return nullptr;
  }
  log_level_ = idx;
  return json::object();
}

void Server::on_tools_call(const Message& m, const std::shared_ptr<BatchCollector>& batch, const SessionInfo& session) {
  const json::value* name = m.params ? m.params->if_contains("name") : nullptr;
  if (!name || !name->is_string())
    return refuse_tool_call(m, batch, session, rpc::kInvalidParams, "tools/call: params.name must be a string");
  const json::value* args = m.params->if_contains("arguments");
  if (args && !args->is_object() && !args->is_null())
    return refuse_tool_call(m, batch, session, rpc::kInvalidParams, "tools/call: params.arguments must be an object");
  auto tool = registry_.snapshot()->find(std::string(name->get_string()));
  if (!tool) {
    std::string_view asked = name->get_string().subview();
    return refuse_tool_call(m, batch, session, rpc::kInvalidParams,
                            "Unknown tool: " + shown_in_message(asked));
  }

  CallExtras extras;
  if (!choose_task_mode(m, batch, session, *tool->manifest, extras)) return;
  if (const json::value* meta = m.params->if_contains("_meta"); meta && meta->is_object()) {
    if (auto* t = meta->get_object().if_contains("progressToken"); t && (t->is_string() || t->is_int64() || t->is_uint64()))
      extras.progress_token = *t;
    if (auto* t = meta->get_object().if_contains("traceparent"); t && t->is_string()) extras.traceparent = t->get_string();
  }
  if (session.stateless) {
    if (auto* r = m.params->if_contains("inputResponses")) extras.input_responses = *r;
    if (auto* st = m.params->if_contains("requestState")) {
      if (!st->is_string())
        return refuse_tool_call(m, batch, session, rpc::kInvalidParams, "tools/call: params.requestState must be a string");
      extras.request_state = st->get_string();
    }
  }
  auto call = std::make_shared<ToolCall>(*this, m.id, tool, args && args->is_object() ? args->get_object() : json::object(),
                                         std::move(extras), session, batch);
  bool duplicate = false;
  {
    std::lock_guard<std::mutex> lock(inflight_mu_);
    // An open listen stream is a request still in flight too.
    duplicate = subscriptions_.contains(m.id) || !inflight_.emplace(call->key(), call).second;
  }
  if (duplicate)  // audited outside the lock: the entry is written before the answer
    return refuse_tool_call(m, batch, session, rpc::kInvalidRequest,
                            "duplicate request id " + call->key() + ": a request with this id is still in flight");
  if (batch) batch->expect();
  std::int64_t timeout = tool->manifest->timeout_ms ? tool->manifest->timeout_ms : options_.default_timeout_ms;
  std::weak_ptr<ToolCall> weak = call;
  call->set_deadline_id(watch_.add(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout), [weak, timeout] {
    if (auto c = weak.lock()) c->expire("the tool did not finish within " + std::to_string(timeout) + " ms and was cancelled");
  }));
  // Run by the thread that read it when it can (no hand-off: the quick path for a quick tool);
  // a batch's calls go to the pool so they run side by side.
  auto run = [call] { call->run(); };
  if (batch || !ReaderBaton::run_here(run)) {
    if (!pool_.submit(run)) call->expire("the server is shutting down");
  }
}

void Server::call_finished(const std::string& key) {
  std::lock_guard<std::mutex> lock(inflight_mu_);
  inflight_.erase(key);
  if (inflight_.empty()) inflight_empty_.notify_all();
}

std::size_t Server::drain(std::chrono::steady_clock::time_point deadline) {
  // Listen streams end gracefully at shutdown: each listen request gets its (empty) result.
  subscriptions_.close_all(server_info_meta());
  std::vector<std::shared_ptr<ToolCall>> left;
  {
    std::unique_lock<std::mutex> lock(inflight_mu_);
    inflight_empty_.wait_until(lock, deadline, [&] { return inflight_.empty(); });
    for (auto& [k, c] : inflight_) left.push_back(c);
  }
  for (auto& c : left) c->expire("the server shut down before the tool finished");
  return left.size();
}

void Server::notify_tools_changed() {
  // Only after notifications/initialized: before it the spec allows the server no notifications
  // but logging, and a stateless (2026) client never gets unsolicited messages at all.
  if (initialized_) out_.write_line(make_notification("notifications/tools/list_changed", json::object()));
  subscriptions_.tools_changed();
}

std::string Server::job_tool_refusal(const Principal& who, const std::string& tool) {
  std::string why = policy_.tool_forbidden(who, tool);
  if (!why.empty()) return why;
  // A tool no longer loaded still has the policy's override, if any: its plugin's absence must
  // not lift a scope the operator raised.
  std::string scope;
  if (auto entry = registry_.snapshot()->find(tool)) {
    scope = policy_.required_scope(*entry->manifest);
    if (scope.empty()) return "tool " + tool + " requires a scope nobody is granted";
  } else {
    ToolManifest gone;
    gone.name = tool;
    scope = policy_.required_scope(gone);
  }
  if (!scope.empty() && !scope_granted(who.scopes, scope))
    return "calling " + tool + " requires the scope '" + scope + "', which your credential does not grant";
  return "";
}

void Server::redact_stored_job(JobRecord& job) {
  auto redaction = policy_.response_redaction();
  toolgate::redact_stored_job(redaction.get(), job);
}

}  // namespace toolgate
