#include "app/cli.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace toolgate {

namespace po = boost::program_options;

namespace {
po::options_description describe() {
  po::options_description d("Options");
  d.add_options()
      ("help,h", "show this help")
      ("config,c", po::value<std::string>(), "policy file (JSON); see the README for every field")
      ("plugin-dir", po::value<std::string>(), "directory holding plugin libraries (overrides plugins.directory)")
      ("manifest-dir", po::value<std::string>(), "directory holding plugin manifests (default: the plugin directory)")
      ("log-level", po::value<std::string>(), "stderr diagnostics: trace, debug, info, warn, error, off (default info)")
      ("max-message-bytes", po::value<std::size_t>(), "longest accepted JSON-RPC line (default 4194304)")
      ("workers", po::value<std::size_t>(), "worker threads running tool calls (default 8)");
  return d;
}
}  // namespace

std::string cli_help(const std::string& command) {
  std::ostringstream out;
  if (command == "check") {
    out << "Usage: toolgate check [--config FILE] [options]\n\n"
           "Validates the policy file, keys, manifests and plugins, prints a report and exits\n"
           "non-zero if anything is wrong. Nothing is served.\n\n";
  } else {
    out << "Usage: toolgate [serve] [--config FILE] [options]\n\n"
           "Serves MCP over stdin/stdout: agent clients (Claude Code, Cursor, VS Code) launch this\n"
           "command. Diagnostics go to stderr; stdout carries only the protocol.\n\n";
  }
  out << describe();
  return out.str();
}

CliOptions parse_cli(const std::string& command, const std::vector<std::string>& args) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(describe()).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::runtime_error(std::string(e.what()) + " (see `toolgate " + command + " --help`)");
  }
  CliOptions o;
  o.help = vm.count("help") > 0;
  if (vm.count("config")) o.config_file = vm["config"].as<std::string>();
  if (vm.count("plugin-dir")) o.plugin_dir = vm["plugin-dir"].as<std::string>();
  if (vm.count("manifest-dir")) o.manifest_dir = vm["manifest-dir"].as<std::string>();
  if (vm.count("log-level")) o.log_level = vm["log-level"].as<std::string>();
  if (vm.count("max-message-bytes")) o.max_message_bytes = vm["max-message-bytes"].as<std::size_t>();
  if (vm.count("workers")) o.workers = vm["workers"].as<std::size_t>();
  return o;
}

std::optional<Config> effective_config(const CliOptions& cli, JsonErrors& errors) {
  std::optional<Config> c = cli.config_file.empty() ? parse_config("{}", "", errors) : load_config(cli.config_file, errors);
  if (!c) return c;
  namespace fs = std::filesystem;
  if (cli.plugin_dir) c->server.plugin_dir = fs::absolute(*cli.plugin_dir).lexically_normal().string();
  if (cli.manifest_dir) c->server.manifest_dir = fs::absolute(*cli.manifest_dir).lexically_normal().string();
  if (cli.log_level) c->server.log_level = *cli.log_level;
  if (cli.max_message_bytes) {
    if (*cli.max_message_bytes < 1024) errors.add("--max-message-bytes", "expected an integer >= 1024");
    c->server.max_message_bytes = *cli.max_message_bytes;
  }
  if (cli.workers) {
    if (*cli.workers < 1 || *cli.workers > 256) errors.add("--workers", "expected an integer from 1 to 256");
    c->server.workers = *cli.workers;
  }
  if (c->server.plugin_dir.empty())
    errors.add("plugins.directory", "no plugin directory: set plugins.directory in the policy file or pass --plugin-dir");
  if (!errors.empty()) return std::nullopt;
  return c;
}

}  // namespace toolgate
