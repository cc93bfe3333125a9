// Starts the real toolgate with chosen reference plugins for the reference plugin tests. Each
// plugin is copied from the staged build output into a temporary plugin directory and its
// manifest's "config" replaced (the manifest's sha256 covers only the library, so this is
// allowed); the policy gives an anonymous principal one tenant and a list of scopes, so two
// processes with different tenants on one state act as two callers. Destructive tools need
// consent, which the test client cannot give (it declares no elicitation), so by default the
// policy exempts the tenant; tests of the consent gate itself turn that off.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mcp_process.hpp"

namespace toolgate::testing {

// Copies plugin `name` (manifest <name>.json) into `plugin_dir`, with `config` as its config.
void stage_reference_plugin(const std::string& plugin_dir, const std::string& name,
                            const boost::json::object& config = {});

struct Caller {
  std::string tenant = "acme";
  std::vector<std::string> scopes = {"*"};
  bool consent_exempt = true;
};

// Writes a policy for `plugin_dir` into `policy_dir` (one file per tenant), starts toolgate on
// it and completes the initialize handshake.
std::unique_ptr<McpProcess> start_toolgate(const std::string& plugin_dir, const std::string& policy_dir,
                                           const Caller& caller = {});

// Pieces of a CallToolResult.
bool is_error(const boost::json::object& result);
std::string text_of(const boost::json::object& result);          // the first text item
const boost::json::object& structured(const boost::json::object& result);  // throws if absent
std::string error_code(const boost::json::object& result);       // _meta["dev.toolgate/error"].code

}  // namespace toolgate::testing
