// toolgate's configuration: the one policy file (JSON) plus command-line overrides. Every field
// has a safe default; unknown fields, wrong types and impossible values are errors naming their
// JSONPath. Sections owned by other areas (identity, audit, rateLimits) are parsed by those
// areas' own parsers from here. A Config is immutable once loaded; reload builds a new one.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/job_record.hpp"
#include "policy/tenant_tools.hpp"
#include "registry/signature.hpp"
#include "util/json_reader.hpp"

namespace toolgate {

struct ServerConfig {
  std::string plugin_dir;
  std::string manifest_dir;  // empty: plugin_dir
  bool watch_plugins = true;  // plugins.watch: load, replace and unload plugins as the directories change
  std::size_t max_message_bytes = 4 * 1024 * 1024;
  std::size_t workers = 8;
  std::int64_t default_timeout_ms = 60'000;
  std::int64_t shutdown_grace_ms = 5'000;
  std::int64_t client_request_timeout_ms = 60'000;
  std::string log_level = "info";
  std::size_t tools_page_size = 100;
  std::string instructions;
  bool watch_policy_file = true;  // reload when the policy file changes (SIGHUP always reloads)
};

struct ToolOverride {
  std::optional<std::string> scope;
};

// Who may run destructive tools without being asked, and how long to wait for an answer.
struct ConsentExemption {
  std::string tenant;
  std::string subject;  // empty: every principal of the tenant
};
struct ConsentConfig {
  std::vector<ConsentExemption> exempt;
  std::map<std::string, bool> tools;  // per tool: true always asks, false never asks
  std::int64_t timeout_ms = 120'000;
  std::string state_key_file;  // HMAC key for 2026-era requestState; empty: random per process
};

// Plugin trust (policy `plugins`): publisher signatures (registry/signature.hpp) and pinned tool
// definitions (registry/tool_pins.hpp).
//   "plugins": { "requireSigned": false,
//                "trustedPublishers": ["keys/acme.pub", {"name": "acme", "key": "<base64>"},
//                                      {"name": "corp", "file": "keys/corp.pub"}],
//                "pinsFile": "plugin-pins.json" | false, "onDefinitionChange": "refuse" | "warn" }
// requireSigned defaults to false so existing unsigned plugins keep loading; a plugin that does
// carry a signature must verify against a trusted publisher whatever requireSigned says.
struct PluginTrustConfig {
  bool require_signed = false;
  std::vector<TrustedPublisherSpec> trusted_publishers;
  // Absolute; empty when pinning is off. Default: plugin-pins.json beside the policy file; without
  // a policy file $STATE_DIRECTORY, $XDG_STATE_HOME/toolgate or ~/.local/state/toolgate.
  std::string pins_file;
  bool refuse_definition_changes = true;
  // `plugins.config.<plugin>`: replaces that plugin's manifest `config` (given to its init). The
  // operator's settings live here, outside the manifest a publisher signed.
  std::map<std::string, boost::json::object> plugin_configs;
  // `plugins.initTimeoutMs`: how long a plugin's init may run before that plugin is given up on;
  // 0 waits for ever.
  std::int64_t init_timeout_ms = 30'000;
};

struct Config {
  std::string file;      // absolute path, empty when running without a policy file
  std::string base_dir;  // relative paths in the file resolve against this
  std::string digest;    // sha256 of the file's bytes ("" without a file)
  boost::json::object raw;  // the whole document, for the areas' own parsers
  ServerConfig server;
  std::map<std::string, ToolOverride> tools;
  bool list_all_tools = false;  // toolList: "all" instead of "callable"
  ConsentConfig consent;
  JobsConfig jobs;  // the `jobs` section: state directory, result TTL, per-principal cap
  PluginTrustConfig plugin_trust;
  TenantTools tenant_tools;  // the `tenants` section: per-tenant tool allow/deny lists
};

// The scope calling `tool` needs under this policy: its `tools.<name>.scope` override, else the
// scope its manifest declares.
const std::string& required_scope(const Config& config, const std::string& tool, const std::string& manifest_scope);

// Reads and validates the policy file. Errors go to `errors` with their paths.
std::optional<Config> load_config(const std::string& file, JsonErrors& errors);
// Parses an already-read document (used by load_config and by tests).
std::optional<Config> parse_config(const std::string& text, const std::string& file, JsonErrors& errors);

// Resolves a path from the policy file against its directory.
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace toolgate
