// A plugin manifest: the source of truth for a plugin's identity, integrity (library sha256), ABI
// and, per tool, name, description, schemas, required scope, annotations, limits and execution
// mode. Parsing is strict: unknown fields and wrong types are errors naming their JSONPath, and
// annotation honesty rules are checked here so a dishonest plugin never loads.
// Values are immutable after parsing and shared read-only across threads.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_reader.hpp"

namespace toolgate {

struct ToolRateLimit {
  std::int64_t burst = 0;
  double per_second = 0;
};

struct ToolManifest {
  std::string name;
  std::string title;
  std::string description;
  boost::json::object input_schema;
  std::optional<boost::json::object> output_schema;
  std::string scope;                       // empty: none declared (denied unless policy names one)
  std::optional<boost::json::object> annotations;  // passed to clients exactly as written
  std::optional<boost::json::array> icons;
  std::optional<ToolRateLimit> rate_limit;
  std::int64_t timeout_ms = 0;             // 0: host default
  std::string execution = "sync";          // "sync" or "job"
  std::int64_t estimated_seconds = 0;
  std::string task_support = "forbidden";  // MCP execution.taskSupport: forbidden|optional|required

  bool read_only() const;
  bool destructive() const;
};

// The sha256 a source manifest carries until the build (toolgate_add_plugin) or `toolgate
// manifest hash` fills in the library's.
inline bool is_placeholder_sha256(std::string_view sha256) {
  return sha256.size() == 64 && sha256.find_first_not_of('0') == std::string_view::npos;
}

struct PluginManifest {
  std::string file;          // absolute path of the manifest
  std::string digest;        // sha256 of the manifest bytes
  std::string name;
  std::string version;
  std::string description;
  std::string library;       // file name, resolved inside the plugin directory
  std::string sha256;        // of the library
  std::uint32_t abi_major = 0;
  std::uint32_t abi_minor = 0;
  boost::json::object config;  // handed to the plugin's init()
  std::vector<ToolManifest> tools;
};

// Parses manifest text. Errors are added as "<file>: $.path: message"; returns nullopt if any.
std::optional<PluginManifest> parse_manifest(const std::string& text, const std::string& file, JsonErrors& errors);

// MCP tool names: 1-128 characters of [A-Za-z0-9_.-].
bool valid_tool_name(const std::string& name);

}  // namespace toolgate
