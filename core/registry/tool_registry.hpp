// The tool table: every tool the host can call, built from a plugin directory. Loading scans the
// manifest directory (every *.json except manifest.schema.json, in name order), loads each plugin,
// compiles its schemas, and refuses any plugin that would collide with a tool name already taken
// (never shadowed). A broken plugin is skipped with one clear error line; the rest load.
//
// Readers take an immutable snapshot (shared_ptr) and keep it for the whole call, so a reload can
// swap in a new table while calls on the old one finish; a plugin unloads when the last snapshot
// and call holding it are gone. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "registry/plugin_loader.hpp"
#include "registry/schema_validator.hpp"

namespace toolgate {

struct ToolEntry {
  const ToolManifest* manifest = nullptr;  // owned by plugin
  std::shared_ptr<LoadedPlugin> plugin;
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
};

struct RegistryOptions {
  std::string plugin_dir;
  std::string manifest_dir;  // empty: same as plugin_dir
};

class ToolRegistry {
 public:
  explicit ToolRegistry(RegistryOptions options);

  // (Re)scans the directories and swaps in the new table. Unchanged plugins (same manifest
  // digest and library) are reused rather than reloaded.
  LoadReport reload(const tg_host_api* host);
  std::shared_ptr<const ToolTable> snapshot() const;

 private:
  RegistryOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const ToolTable> table_;
};

}  // namespace toolgate
