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

// Whether `previous` already runs this exact manifest (so its flagged changes were reported).
bool already_loaded(const ToolTable& previous, const PluginManifest& m, const std::string& file_abs) {
  for (const auto& old : previous.plugins)
    if (old->manifest().digest == m.digest && old->manifest().file == file_abs) return true;
  return false;
}

// Publisher signature and pinned definitions, both judged on the manifest before any code loads.
// Returns why the plugin is refused, or "" (adding a warning when a change is only flagged).
// Every changed tool is reported to `listener`; a flagged change it cannot record is refused.
std::string admission_problem(const std::string& text, const PluginManifest& m, const std::string& file_abs,
                              const RegistryOptions& o, const ToolPins& pins, const std::string& pins_error,
                              const std::string& who, const ToolTable& previous,
                              const DefinitionChangeListener& listener, LoadReport& report) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text, ec);
  TrustVerdict trust = check_manifest_trust(doc.is_object() ? doc.get_object() : boost::json::object{}, o.trust);
  if (!trust.ok) return trust.reason;
  if (o.pins.file.empty()) return "";
  if (!pins_error.empty()) return o.pins.refuse_changes ? pins_error + ", so tool definitions cannot be checked" : "";
  std::vector<ToolDefinitionChange> changes = pins.tool_changes(m);
  if (changes.empty()) return "";
  std::string listed;
  for (const auto& c : changes) listed += (listed.empty() ? "" : "; ") + c.text();
  std::string what = "tool definitions changed without a version change: " + listed + " (pinned for " + m.name +
                     " " + m.version + " in " + o.pins.file + ")";
  std::string unrecorded;
  if (listener && (o.pins.refuse_changes || !already_loaded(previous, m, file_abs))) {
    for (const auto& c : changes) {
      DefinitionChangeEvent event{m.name, m.version,   c.tool,     c.what,    c.fields,
                                  o.pins.refuse_changes, file_abs, m.digest, o.pins.file};
      std::string why;
      if (!listener(event, why) && unrecorded.empty()) unrecorded = why.empty() ? "unknown error" : why;
    }
  }
  if (o.pins.refuse_changes) return what + "; a new plugin version is pinned afresh";
  if (!unrecorded.empty()) return what + "; the change could not be audited (" + unrecorded + "), so it is refused";
  report.warnings.push_back(who + ": " + what + " (loaded anyway: plugins.onDefinitionChange is \"warn\")");
  return "";
}

}  // namespace

void ToolRegistry::set_definition_change_listener(DefinitionChangeListener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  on_definition_change_ = std::move(listener);
}

void ToolRegistry::set_builtins(std::vector<std::shared_ptr<const ToolEntry>> builtins) {
  std::lock_guard<std::mutex> lock(mu_);
  builtins_ = std::move(builtins);
}

LoadReport ToolRegistry::reload(const tg_host_api* host) {
  LoadReport report;
  auto previous = snapshot();
  auto table = std::make_shared<ToolTable>();
  table->generation = previous->generation + 1;
  ToolPins pins(options_.pins);
  std::string pins_error;
  if (!pins.load(pins_error)) {
    if (options_.pins.refuse_changes)
      report.errors.push_back(pins_error);
    else
      report.warnings.push_back(pins_error + " (plugins load unchecked: plugins.onDefinitionChange is \"warn\")");
  }
  std::vector<std::shared_ptr<const ToolEntry>> builtins;
  DefinitionChangeListener listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    builtins = builtins_;
    listener = on_definition_change_;
  }
  // Builtin names are reserved whether or not they are listed.
  for (const auto& b : builtins) table->by_name[b->manifest->name] = b;

  std::vector<fs::path> files = manifest_files(options_.manifest_dir, report);
  // On a reload, plugins already serving claim their tool names before any newcomer, so a plugin
  // dropped in later is refused on a clash instead of taking over (shadowing) a name clients use.
  std::stable_partition(files.begin(), files.end(), [&](const fs::path& f) {
    const std::string abs = fs::absolute(f).lexically_normal().string();
    for (const auto& old : previous->plugins)
      if (old->manifest().file == abs) return true;
    return false;
  });
  for (const fs::path& file : files) {
    const std::string file_abs = fs::absolute(file).lexically_normal().string();
    JsonErrors errors;
    auto text = read_file(file_abs, errors);
    std::optional<PluginManifest> manifest;
    if (text) manifest = parse_manifest(*text, file_abs, errors);
    if (!manifest) {
      report.errors.push_back("plugin manifest " + errors.joined("; ") + " (plugin skipped)");
      continue;
    }
    const std::string who = "plugin " + manifest->name + " (manifest " + file_abs + ")";
    if (std::string why = admission_problem(*text, *manifest, file_abs, options_, pins, pins_error, who, *previous,
                                            listener, report); !why.empty()) {
      report.errors.push_back(who + ": " + why + " (plugin skipped)");
      continue;
    }
    std::string clash;
    for (const auto& t : manifest->tools)
      if (auto owner = table->find(t.name))
        clash = "tool '" + t.name + "' is already provided by " +
                (owner->plugin ? "plugin " + owner->plugin->manifest().name : std::string("the host"));
    if (!clash.empty()) {
      report.errors.push_back("plugin " + manifest->name + " (manifest " + file_abs + "): " + clash +
                              "; tool names are never shadowed (plugin skipped)");
      continue;
    }
    try {
      std::shared_ptr<LoadedPlugin> plugin;
      for (const auto& old : previous->plugins)
        if (old->manifest().digest == manifest->digest && old->manifest().file == file_abs) plugin = old;
      if (!plugin) {
        if (auto c = options_.configs.find(manifest->name); c != options_.configs.end()) manifest->config = c->second;
        plugin = load_plugin(*manifest, options_.plugin_dir, host, options_.init_timeout);
      }
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
      if (pins_error.empty()) pins.pin(*manifest);
      report.loaded.push_back(manifest->name + " " + manifest->version + " (" + std::to_string(manifest->tools.size()) +
                              " tools)");
    } catch (const LoadError& e) {
      report.errors.push_back(std::string(e.what()) + " (plugin skipped)");
    } catch (const std::exception& e) {  // e.g. out of memory: this plugin is skipped, the scan goes on
      report.errors.push_back("plugin " + manifest->name + " (manifest " + file_abs + "): " + e.what() +
                              " (plugin skipped)");
    }
  }
  if (std::string save_error; pins_error.empty() && !pins.save(save_error)) report.errors.push_back(save_error);
  // The job tools are noise for the model unless some tool can run in the background: list them
  // only then. They are served regardless: jobs started before the last job-capable plugin was
  // removed (or before a restart without it) still run or keep their results, and must stay
  // within reach of job_status and job_cancel.
  bool background = false;
  for (const auto& t : table->tools)
    background = background || t->manifest->execution == "job" || t->manifest->task_support != "forbidden";
  if (background)
    for (const auto& b : builtins) table->tools.push_back(b);
  {
    std::lock_guard<std::mutex> lock(mu_);
    table_ = table;
  }
  return report;
}

}  // namespace toolgate
