// Tool-level failures the model should see and react to (missing scope, invalid arguments,
// rate limits, timeouts, tool errors) are CallToolResults, not JSON-RPC errors: isError true, one
// plain sentence as text, and a machine-readable copy in _meta["dev.toolgate/error"] with a
// stable code, e.g. {"code":"insufficient_scope","message":"...","requiredScope":"dns.read"}.
// Pure functions; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace toolgate {

inline constexpr const char* kErrorMetaKey = "dev.toolgate/error";

// `extra` fields are merged into the _meta error object.
boost::json::object error_result(const std::string& code, const std::string& message,
                                 const boost::json::object& extra = {});

}  // namespace toolgate
