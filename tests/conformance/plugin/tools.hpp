// The conformance plugin's tools, one handler per tool the official MCP conformance suite
// (@modelcontextprotocol/conformance) calls by name. The suite fixes the names, arguments and
// the shape of each result; tests/conformance/conformance.json declares them to the host.
//
// Handlers are stateless and so safe to run concurrently on host worker threads. Those that
// talk to the client (logging, progress, sampling, elicitation) do so only through the Call
// they are given, from the thread that invoked them, as plugin.h requires.
#pragma once

#include <toolgate/plugin.hpp>

#include <string_view>

namespace conformance {

// Content tools (content_tools.cpp): fixed results of each content type, an error result, and
// the tool whose only purpose is to advertise a JSON Schema 2020-12 inputSchema.
toolgate::Result simple_text(toolgate::Call&, std::string_view args);
toolgate::Result image_content(toolgate::Call&, std::string_view args);
toolgate::Result audio_content(toolgate::Call&, std::string_view args);
toolgate::Result embedded_resource(toolgate::Call&, std::string_view args);
toolgate::Result multiple_content_types(toolgate::Call&, std::string_view args);
toolgate::Result error_handling(toolgate::Call&, std::string_view args);
toolgate::Result json_schema_2020_12(toolgate::Call&, std::string_view args);

// Session tools (session_tools.cpp): notifications during a call and requests to the client.
toolgate::Result tool_with_logging(toolgate::Call&, std::string_view args);
toolgate::Result tool_with_progress(toolgate::Call&, std::string_view args);
toolgate::Result sampling(toolgate::Call&, std::string_view args);
toolgate::Result elicitation(toolgate::Call&, std::string_view args);
toolgate::Result elicitation_sep1034_defaults(toolgate::Call&, std::string_view args);
toolgate::Result elicitation_sep1330_enums(toolgate::Call&, std::string_view args);

}  // namespace conformance
