#include "registry/host_api.hpp"

#include <spdlog/spdlog.h>

#include "registry/crash_report.hpp"
#include "registry/tool_registry.hpp"
#include "util/utf8.hpp"

#include <vector>

namespace toolgate {

namespace {

// Text a plugin hands over goes into JSON-RPC messages, which must be UTF-8: bytes that are not
// become U+FFFD here, so no client decoder ever chokes on a line (JSON a plugin returns is
// checked when it is parsed).
std::string plugin_text(const char* msg, size_t len) { return to_valid_utf8(std::string_view(msg ? msg : "", msg ? len : 0)); }

void api_log(tg_call* call, int level, const char* msg, size_t len) {
  std::string text = plugin_text(msg, len);
  if (call && call->sink) {
    call->sink->log(level, text);
    return;
  }
  static const spdlog::level::level_enum map[] = {spdlog::level::debug, spdlog::level::info, spdlog::level::info,
                                                   spdlog::level::warn, spdlog::level::err};
  spdlog::log(map[level < 0 ? 0 : level > 4 ? 4 : level], "plugin: {}", text);
}

int api_progress(tg_call* call, double progress, double total, const char* msg, size_t len) {
  if (!call || !call->sink) return TG_ERR_INVALID;
  return call->sink->report_progress(progress, total, plugin_text(msg, len));
}

int api_is_cancelled(tg_call* call) { return call && call->sink && call->sink->is_cancelled() ? 1 : 0; }

int api_partial(tg_call* call, const char* json, size_t len) {
  if (!call || !call->sink || !json) return TG_ERR_INVALID;
  return call->sink->emit_partial(std::string_view(json, len));
}

int api_set_result(tg_call* call, const char* json, size_t len) {
  if (!call || !call->sink || !json) return TG_ERR_INVALID;
  return call->sink->set_result(std::string_view(json, len));
}

int api_set_error(tg_call* call, const char* msg, size_t len) {
  if (!call || !call->sink) return TG_ERR_INVALID;
  return call->sink->set_error(plugin_text(msg, len));
}

int api_client_request(tg_call* call, const char* method, const char* params, size_t params_len, uint32_t timeout_ms,
                       tg_json_sink on_reply, void* ctx) {
  if (!call || !call->sink || !method) return TG_ERR_INVALID;
  std::string reply;
  int rc = call->sink->client_request(method, std::string_view(params ? params : "{}", params ? params_len : 2),
                                      timeout_ms, reply);
  if (on_reply && !reply.empty()) on_reply(ctx, reply.data(), reply.size());
  return rc;
}

int api_get_principal(tg_call* call, tg_principal* out) {
  if (!call || !call->sink || !out || out->struct_size < sizeof(tg_principal)) return TG_ERR_INVALID;
  const Principal& p = call->sink->principal();
  // The scope pointer array must outlive this function but not the call: keep it per thread,
  // rebuilt on each request (a tool runs on one thread at a time).
  thread_local std::vector<const char*> scopes;
  scopes.clear();
  for (const auto& s : p.scopes) scopes.push_back(s.c_str());
  out->subject = p.subject.c_str();
  out->tenant = p.tenant.c_str();
  out->scopes = scopes.data();
  out->scope_count = scopes.size();
  return TG_OK;
}

const tg_host_api kTable = {
    sizeof(tg_host_api), TG_ABI_MAJOR, TG_ABI_MINOR, api_log, api_progress, api_is_cancelled, api_partial,
    api_set_result,      api_set_error, api_client_request, api_get_principal,
};

}  // namespace

const tg_host_api* host_api_table() { return &kTable; }

std::optional<boost::json::object> parse_call_result(std::string_view json_text) {
  boost::json::value v;
  boost::system::error_code ec;
  v = boost::json::parse(json_text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto* content = v.get_object().if_contains("content");
  if (!content || !content->is_array()) return std::nullopt;
  for (const auto& item : content->get_array())
    if (!item.is_object() || !item.get_object().contains("type")) return std::nullopt;
  return std::move(v.get_object());
}

int invoke_plugin_tool(const ToolEntry& tool, CallSink& sink, const boost::json::object& args, std::string& thrown) {
  std::string args_json = boost::json::serialize(args);
  tg_call handle{&sink};
  RunningTool mark(tool.plugin ? tool.plugin->manifest().name.c_str() : "toolgate", tool.manifest->name.c_str());
  try {
    return tool.fn->invoke(tool.plugin->state(), tool.fn->tool_ctx, &handle, args_json.data(), args_json.size());
  } catch (const std::exception& e) {
    thrown = e.what();  // only a plugin that ignores the C ABI rules gets here
  } catch (...) {
    thrown = "unknown exception";
  }
  return TG_ERR;
}

}  // namespace toolgate
