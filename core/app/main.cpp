// toolgate's entry point: picks the subcommand and hands over. Wiring only; every behaviour
// lives in the areas under core/.
#include <iostream>
#include <string>
#include <vector>

#include "app/check.hpp"
#include "app/cli.hpp"
#include "app/serve.hpp"
#include "version.hpp"

namespace {

const char* kUsage =
    "toolgate: an MCP server that hosts plugin tools behind enterprise policy.\n"
    "\n"
    "Usage:\n"
    "  toolgate [serve] --config FILE      serve MCP over stdio (what clients launch)\n"
    "  toolgate check --config FILE        validate policy, keys, manifests and plugins\n"
    "  toolgate --version                  print the version\n"
    "  toolgate COMMAND --help             options of one command\n"
    "\n"
    "Connect a client, for example Claude Code:\n"
    "  claude mcp add toolgate --env TOOLGATE_TOKEN=<key> -- toolgate --config /etc/toolgate/policy.json\n";

}  // namespace

int main(int argc, char** argv) {
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
