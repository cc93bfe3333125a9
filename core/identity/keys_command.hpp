// `toolgate keys ...`: the operator's tool for the API keys file.
//
//   keys create --keys-file F --subject S --tenant T --scopes a,b [--expires 2027-01-01|RFC3339]
//   keys list   --keys-file F
//   keys revoke --keys-file F ID
//
// create prints the full key once on `out` (first line, alone, so scripts can take it) followed
// by a notice that it will not be shown again; only its hash is stored. list never shows hashes
// or secrets. revoke sets "disabled", which a running server honours on its next call. Every
// write replaces the file atomically with mode 0600. Usage errors and failures go to `err` with
// exit code 2 (usage) or 1 (failure). Runs on the caller's thread; touches only the keys file.
#pragma once

#include "identity/time_format.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace toolgate {

// `args` are the words after "keys" (a leading "keys" is tolerated). `default_keys_file` is used
// when --keys-file is absent, e.g. the policy's identity.keysFile when the app got --config.
int run_keys_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                     const std::optional<std::string>& default_keys_file = std::nullopt);
// Same, with the clock injected (tests; "expired" status, past --expires).
int run_keys_command_at(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                        const std::optional<std::string>& default_keys_file, SysTime now);

}  // namespace toolgate
