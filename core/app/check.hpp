// `toolgate check`: validates the policy file, identity sources, manifests and plugins without
// serving, and prints a report a person can act on. Exit 0 when everything is usable, 1 otherwise.
#pragma once

#include <ostream>

#include "app/cli.hpp"

namespace toolgate {

int run_check(const CliOptions& cli, std::ostream& out);

}  // namespace toolgate
