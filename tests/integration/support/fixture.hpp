// A ready-to-use toolgate for integration tests: a temporary plugin directory holding the
// bundled echo plugin and the behaviours fixture, a policy that grants an anonymous principal
// every scope, and a running process. Tests that need something else build their own.
#pragma once

#include <memory>
#include <string>

#include "mcp_process.hpp"

namespace toolgate::testing {

// A policy document for `plugin_dir`; `extra` is spliced into the top-level object.
std::string anonymous_policy(const std::string& plugin_dir, const std::string& extra = "");

class RunningToolgate {
 public:
  explicit RunningToolgate(const std::string& extra_policy = "", std::vector<std::string> extra_args = {},
                           std::map<std::string, std::string> env = {});
  McpProcess& operator*() { return *process_; }
  McpProcess* operator->() { return process_.get(); }
  TempDir& dir() { return dir_; }

 private:
  TempDir dir_;
  std::unique_ptr<McpProcess> process_;
};

}  // namespace toolgate::testing
