// A tools/call the server refuses before it becomes a ToolCall: a malformed request, an unknown
// tool, a duplicate id, a task mode the tool does not offer. It was still an attempt to call a
// tool, so it gets its audit entry like every call, then its JSON-RPC error.
#include <spdlog/spdlog.h>

#include "protocol/jsonrpc.hpp"
#include "protocol/server.hpp"
#include "util/utf8.hpp"

namespace toolgate {

namespace json = boost::json;

std::string Server::shown_tool_name(std::string_view name) { return to_valid_utf8(name.substr(0, kShownToolNameBytes)); }

std::string Server::shown_in_message(std::string_view text) {
  return shown_tool_name(text) + (text.size() > kShownToolNameBytes ? "..." : "");
}

void Server::refuse_tool_call(const Message& m, const std::shared_ptr<BatchCollector>& batch,
                              const SessionInfo& session, int code, std::string message) {
  CallRecord rec;
  const json::value* name = m.params ? m.params->if_contains("name") : nullptr;
  if (name && name->is_string()) rec.tool = shown_tool_name(name->get_string().subview());
  rec.plugin = "toolgate";
  rec.plugin_version = options_.server_version;
  if (AuthDecision auth = policy_.authenticate(); auth.ok) {
    rec.principal.subject = auth.principal.subject;
    rec.principal.tenant = auth.principal.tenant;
  }
  const json::value* args = m.params ? m.params->if_contains("arguments") : nullptr;
  rec.input = args && args->is_object() ? *args : json::value(json::object{{"arguments", args ? *args : nullptr}});
  rec.outcome = "invalid_input";
  rec.error_code = std::to_string(code);
  rec.error_message = message;
  rec.request_id = m.id;
  if (const json::value* meta = m.params ? m.params->if_contains("_meta") : nullptr; meta && meta->is_object())
    if (auto* t = meta->get_object().if_contains("traceparent"); t && t->is_string()) rec.traceparent = t->get_string();
  rec.client_name = session.client_name;
  rec.client_version = session.client_version;
  std::string why;
  if (!policy_.record(rec, why)) {
    spdlog::error("audit: entry for a refused tools/call could not be written: {}", why);
    code = rpc::kInternalError;
    message = "the answer is withheld because the audit trail could not be written: " + why;
  }
  reply_error(batch, m.id, code, message);
}

}  // namespace toolgate
