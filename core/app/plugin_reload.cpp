#include "app/plugin_reload.hpp"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "registry/host_api.hpp"

namespace toolgate {

namespace {

// What a client can observe: the tools' names and which loaded library serves each.
std::vector<std::pair<std::string, const void*>> tool_set(const ToolTable& t) {
  std::vector<std::pair<std::string, const void*>> out;
  for (const auto& e : t.tools) out.emplace_back(e->manifest->name, e->plugin.get());
  return out;
}

std::string describe(const LoadedPlugin& p) {
  return p.manifest().name + " " + p.manifest().version + " (" + std::to_string(p.manifest().tools.size()) +
         " tools)";
}

}  // namespace

void PluginReloader::reload(const std::string& why, bool only_new_errors) {
  std::lock_guard<std::mutex> lock(mu_);
  auto before = registry_.snapshot();
  LoadReport report = registry_.reload(host_api_table());
  auto after = registry_.snapshot();

  // Tell the client first: whoever reads the log lines below can count on the notification
  // having been written already.
  const bool changed = tool_set(*before) != tool_set(*after);
  if (changed) server_.notify_tools_changed();

  std::set<std::string> errors(report.errors.begin(), report.errors.end());
  for (const auto& e : report.errors)
    if (!only_new_errors || !last_errors_.count(e)) spdlog::error("{}", e);
  last_errors_ = std::move(errors);
  for (const auto& w : report.warnings) spdlog::warn("{}", w);

  auto held = [](const ToolTable& t, const LoadedPlugin* p) {
    for (const auto& q : t.plugins)
      if (q.get() == p) return true;
    return false;
  };
  for (const auto& p : after->plugins)
    if (!held(*before, p.get())) spdlog::info("{}: loaded plugin {}", why, describe(*p));
  for (const auto& p : before->plugins)
    if (!held(*after, p.get()))
      spdlog::info("{}: plugin {} left the tool list (unloaded once its calls in flight finish)", why, describe(*p));
  if (changed) spdlog::info("{}: the tool list changed ({} tools); the client was told", why, after->tools.size());
}

}  // namespace toolgate
