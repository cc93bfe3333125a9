// The tool table: every tool the host can call, built from a plugin directory. Loading scans the
// manifest directory (every *.json except manifest.schema.json, in name order), loads each plugin,
// compiles its schemas, and refuses any plugin that would collide with a tool name already taken
// (never shadowed). On a reload, plugins that were already loaded claim their names first, so a
// newcomer that clashes is the one refused, whatever its file name. Before any of a plugin's code is loaded, its manifest must pass the trust
// policy (publisher signature, registry/signature.hpp) and match its pinned tool definitions
// (registry/tool_pins.hpp). A broken plugin is skipped with one clear error line; the rest load.
//
// Readers take an immutable snapshot (shared_ptr) and keep it for the whole call, so a reload can
// swap in a new table while calls on the old one finish; a plugin unloads when the last snapshot
// and call holding it are gone. Thread-safe.
//
// Host-provided ("builtin") tools, such as the job tools, are ToolEntries too, so they are
// listed, scoped, rate-limited and audited exactly like plugin tools; they carry a handler
// instead of a plugin (plugin == nullptr) and own their manifest. A plugin tool never shadows
// a builtin: the plugin is skipped like any other name clash. Builtins are listed after the
// plugin tools, and only when some loaded tool can run in the background (execution "job" or
// a taskSupport other than "forbidden").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/principal.hpp"
#include "registry/plugin_loader.hpp"
#include "registry/schema_validator.hpp"
#include "registry/signature.hpp"
#include "registry/tool_pins.hpp"

namespace toolgate {

class ResponseRedaction;

// What a builtin handler gets and may report back for the call's audit record.
struct BuiltinCall {
  const Principal& principal;
  const boost::json::object& args;
  std::string job_id;       // the job the call concerns, if any
  std::string traceparent;  // that job's trace context, so its polls share the start's trace
  // Empty when the caller may use `tool` under the policy's tenant rules, else why not: a job
  // of a tool the caller's tenant may no longer use stays out of reach. May be null (no rules).
  std::function<std::string(const std::string& tool)> forbidden;
  // The response rules in force now, for stored results and partials of a job of `tool` (null:
  // none). Stored data was redacted with the rules of its day; rules added since apply too.
  std::shared_ptr<const ResponseRedaction> redaction;
};
// Returns a CallToolResult. Runs on a worker thread; may throw (reported as an internal error).
using BuiltinHandler = std::function<boost::json::object(BuiltinCall&)>;

struct ToolEntry {
  const ToolManifest* manifest = nullptr;  // owned by plugin, or by builtin_manifest
  std::shared_ptr<LoadedPlugin> plugin;    // null for builtins
  BuiltinHandler builtin;                  // set for builtins only
  std::shared_ptr<const ToolManifest> builtin_manifest;
  const tg_tool* fn = nullptr;
  std::shared_ptr<const SchemaValidator> input_validator;
  std::shared_ptr<const SchemaValidator> output_validator;  // null if no outputSchema
};

struct ToolTable {
  std::vector<std::shared_ptr<const ToolEntry>> tools;  // in load order
  std::unordered_map<std::string, std::shared_ptr<const ToolEntry>> by_name;
  std::vector<std::shared_ptr<LoadedPlugin>> plugins;
  std::uint64_t generation = 0;

  std::shared_ptr<const ToolEntry> find(const std::string& name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  }
};

struct LoadReport {
  std::vector<std::string> loaded;  // "name version (N tools)"
  std::vector<std::string> errors;  // one line per skipped plugin
  // Loaded despite a problem, e.g. a definition change under plugins.onDefinitionChange "warn".
  // Definition changes (refused or warned) also go to the definition-change listener (the audit).
  std::vector<std::string> warnings;
};

// One pinned tool definition that changed without a version change (a "rug pull"), as a reload
// found it: one event per tool, whether the plugin was refused or loaded anyway (warn).
struct DefinitionChangeEvent {
  std::string plugin;
  std::string version;
  std::string tool;
  std::string change;               // "description, inputSchema changed", "was added", "was removed"
  std::vector<std::string> fields;  // the changed fields; empty for an added or removed tool
  bool refused = false;             // true: the plugin was refused; false: flagged and loaded
  std::string manifest_file;
  std::string manifest_digest;
  std::string pins_file;
};
// Records one event (the audit log, in the server). False with `why` when it could not be
// recorded: a flagged change is then refused as well, so a change nobody audited never loads.
using DefinitionChangeListener = std::function<bool(const DefinitionChangeEvent&, std::string& why)>;

struct RegistryOptions {
  std::string plugin_dir;
  std::string manifest_dir;  // empty: same as plugin_dir
  TrustPolicy trust;         // publisher signatures checked before anything is loaded
  PinPolicy pins;            // tool definition pins checked before load, recorded after
  // Per plugin name: the config its init gets instead of the manifest's (the policy's
  // plugins.config), applied after the signature check, which covers the manifest as signed.
  std::map<std::string, boost::json::object> configs;
  // How long a plugin's init may run before the plugin is given up on (plugin_loader.hpp);
  // zero waits for ever.
  std::chrono::milliseconds init_timeout{30'000};
};

class ToolRegistry {
 public:
  explicit ToolRegistry(RegistryOptions options);

  // (Re)scans the directories and swaps in the new table. Unchanged plugins (same manifest
  // digest and library) are reused rather than reloaded.
  LoadReport reload(const tg_host_api* host);
  std::shared_ptr<const ToolTable> snapshot() const;
  // Host tools that every later reload() puts first in the table. Call before the first reload.
  void set_builtins(std::vector<std::shared_ptr<const ToolEntry>> builtins);
  // Told about every definition change each later reload() finds, on the reloading thread. A
  // plugin that stays loaded unchanged across reloads (same manifest) is reported only once.
  void set_definition_change_listener(DefinitionChangeListener listener);

 private:
  RegistryOptions options_;
  std::vector<std::shared_ptr<const ToolEntry>> builtins_;  // guarded by mu_
  DefinitionChangeListener on_definition_change_;          // guarded by mu_
  mutable std::mutex mu_;
  std::shared_ptr<const ToolTable> table_;
};

}  // namespace toolgate
