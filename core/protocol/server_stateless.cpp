// The 2026-07-28 era: server/discover and requests that carry their protocol version, client
// capabilities and log level in _meta, with no initialize. Each request is served on its own
// SessionInfo; nothing from one carries over to the next.
#include <boost/json.hpp>

#include "jobs/tasks.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/server.hpp"
#include "protocol/task_methods.hpp"
#include "protocol/versions.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {
// Every version this process serves, newest first: the modern one per request, and the legacy
// ones through initialize. A dual-era client reads a legacy version here as "fall back to
// initialize", as the specification's versioning example lists them.
json::array supported_versions() {
  json::array out{kStatelessVersion};
  const auto& legacy = initialize_versions();
  for (auto it = legacy.rbegin(); it != legacy.rend(); ++it) out.push_back(json::string(*it));
  return out;
}
}  // namespace

json::value Server::on_discover(const Message&) {
  // logging: a request may still name io.modelcontextprotocol/logLevel (deprecated, not removed).
  json::object capabilities{{"tools", json::object{{"listChanged", true}}}, {"logging", json::object()}};
  if (tasks_) capabilities["extensions"] = json::object{{kTasksExtension, json::object()}};
  json::object result{{"supportedVersions", supported_versions()},
                      {"capabilities", std::move(capabilities)},
                      {"resultType", "complete"},
                      {"ttlMs", 0},
                      {"cacheScope", (policy_.filter_tool_list() || policy_.restricts_tools_by_tenant()) ? "private" : "public"},
                      {"_meta", server_info_meta()}};
  if (!options_.instructions.empty()) result["instructions"] = options_.instructions;
  return result;
}

void Server::handle_stateless(const Message& m, const std::shared_ptr<BatchCollector>& batch) {
  const json::object* meta = request_meta(m);
  auto fail = [&](int code, const std::string& message, json::value data = nullptr) {
    if (batch) batch->expect();
    respond(batch, make_error(m.id, code, message, data));
  };
  // server/discover is how a modern client probes the era; answer it even without _meta.
  if (m.method == "server/discover" && !meta) {
    if (batch) batch->expect();
    respond(batch, make_response(m.id, on_discover(m)));
    return;
  }
  const json::value* version = meta ? meta->if_contains("io.modelcontextprotocol/protocolVersion") : nullptr;
  const json::value* caps = meta ? meta->if_contains("io.modelcontextprotocol/clientCapabilities") : nullptr;
  if (!version)
    return fail(rpc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/protocolVersion\"] is required: a 2026-07-28 "
                                     "request names its protocol version in every request (or send initialize first "
                                     "for the initialize era)");
  if (!version->is_string())
    return fail(rpc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/protocolVersion\"] must be a string");
  if (version->get_string() != kStatelessVersion) {
    // A legacy version is in `supported`, but only through initialize: say so, or a client
    // picking from the list would send the same request again.
    std::string v(version->get_string());
    std::string message = is_supported_version(v) ? "protocol version " + v + " is served through initialize, not per request; "
                                                     "send initialize first, or use " + std::string(kStatelessVersion) + " per request"
                                                   : "unsupported protocol version " + v;
    return fail(-32022, message, json::object{{"supported", supported_versions()}, {"requested", *version}});
  }
  if (!caps || !caps->is_object())
    return fail(rpc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/clientCapabilities\"] is required and must be an object");

  SessionInfo session;
  session.version = kStatelessVersion;
  session.stateless = true;
  session.client_capabilities = caps->get_object();
  if (auto* info = meta->if_contains("io.modelcontextprotocol/clientInfo"); info && info->is_object()) {
    if (auto* n = info->get_object().if_contains("name"); n && n->is_string()) session.client_name = n->get_string();
    if (auto* v = info->get_object().if_contains("version"); v && v->is_string()) session.client_version = v->get_string();
  }
  if (auto* lv = meta->if_contains("io.modelcontextprotocol/logLevel")) {
    int idx = lv->is_string() ? log_level_index(lv->get_string()) : -1;
    if (idx < 0) return fail(rpc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/logLevel\"] is not a log level");
    session.log_level = idx;
  }

  if (m.method == "tools/call") return on_tools_call(m, batch, session);
  if (m.method == "subscriptions/listen") {
    // A listen request stays open until the client cancels it or the server shuts down, so it
    // cannot be one member of a batch that waits for all its answers.
    if (batch) return fail(rpc::kInvalidRequest, "subscriptions/listen cannot be sent inside a JSON-RPC batch");
    {
      std::lock_guard<std::mutex> lock(inflight_mu_);
      if (inflight_.count(id_key(m.id)))
        return fail(rpc::kInvalidRequest,
                    "duplicate request id " + id_key(m.id) + ": a request with this id is still in flight");
    }
    int code = 0;
    std::string why = subscriptions_.open(m.id, m.params ? *m.params : json::object(), code);
    if (!why.empty()) return fail(code, why);
    return;  // acknowledged; the response comes when the stream ends
  }
  if (m.method.rfind("tasks/", 0) == 0 && tasks_) return tasks_->handle(m, batch, session);
  json::value result;
  std::string error;
  int code = 0;
  if (m.method == "server/discover") {
    result = on_discover(m);
  } else if (m.method == "ping") {
    result = json::object{{"resultType", "complete"}, {"_meta", server_info_meta()}};
  } else if (m.method == "tools/list") {
    result = on_tools_list(m, error, code, kStatelessVersion);
    if (!code) {
      json::object& r = result.get_object();
      r["resultType"] = "complete";
      r["ttlMs"] = 0;
      // The list depends on the caller's scopes unless the policy shows every tool.
      r["cacheScope"] = (policy_.filter_tool_list() || policy_.restricts_tools_by_tenant()) ? "private" : "public";
      r["_meta"] = server_info_meta();
    }
  } else {
    code = rpc::kMethodNotFound;
    error = "Method not found: " + m.method;
  }
  if (batch) batch->expect();
  respond(batch, code ? make_error(m.id, code, error) : make_response(m.id, std::move(result)));
}

}  // namespace toolgate
