// The host side of tg_host_api. The C table forwards every call to the CallSink behind the
// tg_call handle, so the registry stays free of protocol details: whoever runs a tool (the
// protocol layer for plain calls, the job engine for jobs) implements CallSink.
// The table is immutable and shared by all plugins; a CallSink lives for one invocation and is
// called only from the thread running that invocation, except is_cancelled-style state which
// implementations keep atomic.
#pragma once

#include <toolgate/plugin.h>

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/principal.hpp"

namespace toolgate {

class CallSink {
 public:
  virtual ~CallSink() = default;
  virtual void log(int level, std::string_view msg) = 0;
  virtual int report_progress(double progress, double total, std::string_view msg) = 0;
  virtual bool is_cancelled() = 0;
  virtual int emit_partial(std::string_view json) = 0;
  virtual int set_result(std::string_view json) = 0;
  virtual int set_error(std::string_view msg) = 0;
  // On TG_OK `reply` is the JSON-RPC result; on TG_ERR the error object.
  virtual int client_request(const std::string& method, std::string_view params_json, std::uint32_t timeout_ms,
                             std::string& reply) = 0;
  virtual const Principal& principal() = 0;
};

}  // namespace toolgate

// The opaque handle plugins hold. Defined here, in the global namespace, to match plugin.h.
struct tg_call {
  toolgate::CallSink* sink;
};

namespace toolgate {

// The process-wide host API table handed to every plugin's init().
const tg_host_api* host_api_table();

struct ToolEntry;

// Parses what a plugin passed to set_result: a JSON object with a "content" array whose items
// are objects with a "type". nullopt when it is anything else.
std::optional<boost::json::object> parse_call_result(std::string_view json_text);

// Calls a plugin tool with `sink` behind the tg_call handle. Returns the tool's return code; a
// C++ exception that crosses the C boundary anyway (a plugin not built with the SDK) is caught
// and described in `thrown`.
int invoke_plugin_tool(const ToolEntry& tool, CallSink& sink, const boost::json::object& args, std::string& thrown);

}  // namespace toolgate
