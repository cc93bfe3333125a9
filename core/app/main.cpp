// toolgate's entry point: picks the subcommand and hands over. Wiring only; every behaviour
// lives in the areas under core/.
#include "registry/plugin_loader.hpp"

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app/check.hpp"
#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/manifest_command.hpp"
#include "app/plugin_command.hpp"
#include "app/serve.hpp"
#include "app/terminal_command.hpp"
#include "audit/audit_cli.hpp"
#include "identity/keys_command.hpp"
#include "version.hpp"

namespace {

const char* kUsage =
    "toolgate: an MCP server that hosts plugin tools behind enterprise policy.\n"
    "\n"
    "Usage:\n"
    "  toolgate [serve] --config FILE      serve MCP over stdio (what clients launch)\n"
    "  toolgate check --config FILE        validate policy, keys, manifests and plugins\n"
    "  toolgate tools --config FILE        list the tools you may call, from this terminal\n"
    "  toolgate call TOOL --args JSON      run one tool through the full policy pipeline\n"
    "  toolgate connect --config FILE      how to connect Claude Code, Cursor and VS Code\n"
    "  toolgate keys create|list|revoke    manage API keys (keys --help for details)\n"
    "  toolgate audit verify|tail|query DIR  check and read the audit trail\n"
    "  toolgate plugin keygen|sign|verify  publisher keys and plugin signatures\n"
    "  toolgate manifest hash|lint         write a library's sha256; check a manifest\n"
    "  toolgate --version                  print the version\n"
    "  toolgate COMMAND --help             options of one command\n"
    "\n"
    "Connect a client, for example Claude Code:\n"
    "  claude mcp add toolgate --env TOOLGATE_TOKEN=<key> -- toolgate serve --config /etc/toolgate/policy.json\n"
    "(`toolgate connect --config FILE` prints this, and the Cursor and VS Code entries, for your setup.)\n";

// `toolgate keys ... [--config FILE]`: the keys file defaults to the policy's identity.keysFile.
int run_keys(std::vector<std::string> args) {
  std::optional<std::string> keys_file;
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "--config") continue;
    toolgate::JsonErrors errors;
    auto config = toolgate::load_config(args[i + 1], errors);
    if (!config) {
      std::cerr << "toolgate keys: " << errors.joined("\n  ") << "\n";
      return 2;
    }
    if (auto* id = config->raw.if_contains("identity"); id && id->is_object())
      if (auto* f = id->get_object().if_contains("keysFile"); f && f->is_string())
        keys_file = toolgate::resolve_path(config->base_dir, std::string(f->get_string()));
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
    break;
  }
  return toolgate::run_keys_command(args, std::cout, std::cerr, keys_file);
}

}  // namespace

int run_main(int argc, char** argv);

namespace {
// A plugin init that was given up on may still be running plugin code (and logging). Static
// destructors must not run under it: after the command's output is flushed, the process ends
// without them.
int finish(int code) {
  if (toolgate::plugin_init_still_running()) {
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
  }
  return code;
}
}  // namespace

int main(int argc, char** argv) { return finish(run_main(argc, argv)); }

int run_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "serve";
  if (!args.empty() && args[0] == "--version") {
    std::cout << "toolgate " << toolgate::kToolgateVersion << " (plugin ABI 1)\n";
    return 0;
  }
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    std::cout << kUsage;
    return 0;
  }
  if (!args.empty() && args[0].rfind("-", 0) != 0) {
    command = args[0];
    args.erase(args.begin());
  }
  try {
    if (command == "keys") return run_keys(args);
    if (command == "audit") return toolgate::run_audit_command(args, std::cout, std::cerr);
    if (command == "plugin") return toolgate::run_plugin_command(args, std::cout, std::cerr);
    if (command == "manifest") return toolgate::run_manifest_command(args, std::cout, std::cerr);
    if (command == "tools") return toolgate::run_tools_command(args);
    if (command == "call") return toolgate::run_call_command(args);
    if (command == "connect") return toolgate::run_connect_command(args, std::cout, std::cerr);
    if (command == "serve" || command == "check") {
      toolgate::CliOptions cli = toolgate::parse_cli(command, args);
      if (cli.help) {
        std::cout << toolgate::cli_help(command);
        return 0;
      }
      return command == "serve" ? toolgate::run_serve(cli) : toolgate::run_check(cli, std::cout);
    }
  } catch (const std::exception& e) {
    std::cerr << "toolgate " << command << ": " << e.what() << "\n";
    return 2;
  }
  std::cerr << "toolgate: unknown command '" << command << "'\n\n" << kUsage;
  return 2;
}
