// `toolgate plugin keygen|sign|verify`: publisher keys and manifest signatures, and the wiring
// that turns the policy's `plugins` section into the registry's trust and pin settings.
//   toolgate plugin keygen --out DIR [--name NAME]     Ed25519 key pair: NAME.key (0600), NAME.pub
//   toolgate plugin sign --key KEY.key MANIFEST [--library-dir DIR]
//   toolgate plugin verify (--trusted PUB | --config POLICY)... MANIFEST [--library-dir DIR]
// Exit status: 0 success, 1 refused or failed, 2 usage error. Single-threaded command-line code.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "registry/tool_registry.hpp"

namespace toolgate {

int run_plugin_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Registry settings from the policy: directories, trusted publisher keys (key files are read
// here; a missing or bad key is an error, never a silently smaller trust list) and pins.
// record_pins is false for `toolgate check`, which compares without writing.
std::optional<RegistryOptions> registry_options(const Config& config, bool record_pins, JsonErrors& errors);

}  // namespace toolgate
