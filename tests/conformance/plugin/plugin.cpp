// conformance: the tools the official MCP conformance suite expects a server to offer, built
// against the public SDK only, so that passing the suite also shows the plugin host API is
// complete. Built for tests only (tests/conformance), never staged or installed.
#include <toolgate/plugin.hpp>

#include "tools.hpp"

TOOLGATE_PLUGIN("conformance", "1.0.0") {
  using namespace conformance;
  plugin.tool("test_simple_text", simple_text)
      .tool("test_image_content", image_content)
      .tool("test_audio_content", audio_content)
      .tool("test_embedded_resource", embedded_resource)
      .tool("test_multiple_content_types", multiple_content_types)
      .tool("test_error_handling", error_handling)
      .tool("json_schema_2020_12_tool", json_schema_2020_12)
      .tool("test_tool_with_logging", tool_with_logging)
      .tool("test_tool_with_progress", tool_with_progress)
      .tool("test_sampling", sampling)
      .tool("test_elicitation", elicitation)
      .tool("test_elicitation_sep1034_defaults", elicitation_sep1034_defaults)
      .tool("test_elicitation_sep1330_enums", elicitation_sep1330_enums);
}
