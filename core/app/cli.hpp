// Command-line options shared by `serve` and `check`, parsed with Boost.Program_options, and
// how they override the policy file. Pure parsing; no side effects beyond the returned values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace toolgate {

struct CliOptions {
  std::string config_file;
  std::optional<std::string> plugin_dir;
  std::optional<std::string> manifest_dir;
  std::optional<std::string> log_level;
  std::optional<std::size_t> max_message_bytes;
  std::optional<std::size_t> workers;
  bool help = false;
};

// Parses argv after the subcommand. Throws std::runtime_error with a usage hint on bad input.
CliOptions parse_cli(const std::string& command, const std::vector<std::string>& args);
std::string cli_help(const std::string& command);

// Loads the policy file (or defaults when none is given) and applies command-line overrides.
std::optional<Config> effective_config(const CliOptions& cli, JsonErrors& errors);

}  // namespace toolgate
