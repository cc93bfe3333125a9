// What a client sees, shaped for the protocol version it negotiated: tool definitions carry
// title/outputSchema (2025-06-18+), annotations (2025-03-26+), icons and execution (2025-11-25+)
// only when the version has them; results lose structuredContent and newer content types for
// older clients, with a text rendering put in their place so nothing is silently dropped.
// Pure functions; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <string>

#include "registry/manifest.hpp"

namespace toolgate {

class ResponseRedaction;

// `redaction` (may be null): the response rules in force, so that the outputSchema shown admits
// the redaction mark wherever they may put it (see policy/redaction_schema.hpp).
boost::json::object render_tool(const ToolManifest& tool, const std::string& version,
                                const ResponseRedaction* redaction = nullptr);
// Adapts a CallToolResult in place for the negotiated version.
void adapt_result(boost::json::object& result, const std::string& version);

}  // namespace toolgate
