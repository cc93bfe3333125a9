// MCP protocol versions this host speaks, and what each one knows. Versions are dates, so they
// order as strings; a feature is "known from version X on". Fields a client's version does not
// know are never sent to it. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

inline constexpr const char* kLatestInitializeVersion = "2025-11-25";

// Oldest first.
const std::vector<std::string>& initialize_versions();
bool is_supported_version(std::string_view v);
// Echo a supported requested version, else answer with the latest.
std::string negotiate_version(std::string_view requested);

struct VersionFeatures {
  bool annotations = false;         // 2025-03-26: tool annotations, audio content, progress message
  bool batches = false;             // 2025-03-26 only: JSON-RPC batches
  bool title = false;               // 2025-06-18: title, outputSchema, structuredContent, resource_link
  bool elicitation = false;         // 2025-06-18: elicitation/create
  bool icons = false;               // 2025-11-25: icons, execution.taskSupport, tasks
  // 2025-11-25 only: Tool.execution.taskSupport and the built-in tasks/* methods. 2026-07-28
  // dropped both (tasks became the io.modelcontextprotocol/tasks extension).
  bool execution = false;
};
VersionFeatures features_of(std::string_view version);

}  // namespace toolgate
