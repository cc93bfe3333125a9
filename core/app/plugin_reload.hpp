// One place that reloads plugins while toolgate serves, whoever asks (SIGHUP, the directory
// watch): reloads are serialised, the registry keeps unchanged plugins loaded as they are,
// refuses broken ones and name collisions, and swaps the tool table atomically; a plugin that was
// removed or replaced stays loaded until its last call in flight finishes (every call holds the
// plugin it runs). When the set of tools actually changed, initialized clients get
// notifications/tools/list_changed. Lines go to stderr naming what was loaded and what refused.
#pragma once

#include <mutex>
#include <set>
#include <string>

#include "protocol/server.hpp"
#include "registry/tool_registry.hpp"

namespace toolgate {

class PluginReloader {
 public:
  PluginReloader(ToolRegistry& registry, Server& server) : registry_(registry), server_(server) {}

  // `why` names the trigger in the log. With only_new_errors, a refusal already reported by the
  // previous reload is not repeated (the watch reloads often; SIGHUP reports everything).
  void reload(const std::string& why, bool only_new_errors);
  // The startup load's refusals, already printed: the watch does not repeat them.
  void already_reported(const LoadReport& report) {
    std::lock_guard<std::mutex> lock(mu_);
    last_errors_.insert(report.errors.begin(), report.errors.end());
  }

 private:
  ToolRegistry& registry_;
  Server& server_;
  std::mutex mu_;
  std::set<std::string> last_errors_;
};

}  // namespace toolgate
