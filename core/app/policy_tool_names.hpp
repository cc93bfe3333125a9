// The policy names tools in several sections (tools, rateLimits.perTool, redact.perTool,
// consent.tools). A name no loaded tool has is most likely a typo, and a typo in an override
// meant to tighten a tool leaves that tool on its own settings without a word. Plugins can be
// dropped in later, so these are warnings, not errors: `toolgate check` prints them, and serve
// logs them at start-up and after each policy reload.
#pragma once

#include <string>
#include <vector>

#include "app/config.hpp"
#include "registry/tool_registry.hpp"

namespace toolgate {

// One sentence per policy entry that names a tool `table` does not hold, with its JSONPath.
std::vector<std::string> unknown_policy_tools(const Config& config, const ToolTable& table);

}  // namespace toolgate
