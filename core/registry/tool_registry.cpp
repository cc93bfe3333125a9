#include "registry/tool_registry.hpp"

#include <algorithm>
#include <filesystem>

namespace toolgate {

namespace fs = std::filesystem;

ToolRegistry::ToolRegistry(RegistryOptions options)
    : options_(std::move(options)), table_(std::make_shared<ToolTable>()) {
  if (options_.manifest_dir.empty()) options_.manifest_dir = options_.plugin_dir;
}

std::shared_ptr<const ToolTable> ToolRegistry::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return table_;
}

namespace {

std::vector<fs::path> manifest_files(const std::string& dir, LoadReport& report) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    report.errors.push_back("plugin manifest directory " + dir + ": " + ec.message());
    return out;
  }
  for (const auto& e : it) {
    const fs::path& p = e.path();
    if (p.extension() == ".json" && p.filename() != "manifest.schema.json" && p.filename().string()[0] != '.')
      out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

LoadReport ToolRegistry::reload(const tg_host_api* host) {
  LoadReport report;
  auto previous = snapshot();
  auto table = std::make_shared<ToolTable>();
  table->generation = previous->generation + 1;

  for (const fs::path& file : manifest_files(options_.manifest_dir, report)) {
    const std::string file_abs = fs::absolute(file).lexically_normal().string();
    JsonErrors errors;
    auto text = read_file(file_abs, errors);
    std::optional<PluginManifest> manifest;
    if (text) manifest = parse_manifest(*text, file_abs, errors);
    if (!manifest) {
      report.errors.push_back("plugin manifest " + errors.joined("; ") + " (plugin skipped)");
      continue;
    }
    std::string clash;
    for (const auto& t : manifest->tools)
      if (auto owner = table->find(t.name))
        clash = "tool '" + t.name + "' is already provided by plugin " + owner->plugin->manifest().name;
    if (!clash.empty()) {
      report.errors.push_back("plugin " + manifest->name + " (manifest " + file_abs + "): " + clash +
                              "; tool names are never shadowed (plugin skipped)");
      continue;
    }
    try {
      std::shared_ptr<LoadedPlugin> plugin;
      for (const auto& old : previous->plugins)
        if (old->manifest().digest == manifest->digest && old->manifest().file == file_abs) plugin = old;
      if (!plugin) plugin = load_plugin(*manifest, options_.plugin_dir, host);
      std::vector<std::shared_ptr<ToolEntry>> entries;
      for (const auto& t : plugin->manifest().tools) {
        auto entry = std::make_shared<ToolEntry>();
        entry->manifest = &t;
        entry->plugin = plugin;
        entry->fn = plugin->tool(t.name);
        try {
          entry->input_validator = std::make_shared<SchemaValidator>(t.input_schema);
          if (t.output_schema) entry->output_validator = std::make_shared<SchemaValidator>(*t.output_schema);
        } catch (const std::exception& e) {
          throw LoadError("plugin " + manifest->name + " (manifest " + file_abs + "): tool " + t.name + ": " + e.what());
        }
        entries.push_back(std::move(entry));
      }
      for (auto& e : entries) {
        table->by_name[e->manifest->name] = e;
        table->tools.push_back(std::move(e));
      }
      table->plugins.push_back(plugin);
      report.loaded.push_back(manifest->name + " " + manifest->version + " (" + std::to_string(manifest->tools.size()) +
                              " tools)");
    } catch (const LoadError& e) {
      report.errors.push_back(std::string(e.what()) + " (plugin skipped)");
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    table_ = table;
  }
  return report;
}

}  // namespace toolgate
