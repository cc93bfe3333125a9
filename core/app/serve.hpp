// `toolgate serve`: wires transport, registry, policy and the protocol engine together and runs
// until stdin closes or SIGTERM/SIGINT arrives, then drains calls in flight up to the grace
// period and exits 0. Runs once per process.
#pragma once

#include "app/cli.hpp"

namespace toolgate {

int run_serve(const CliOptions& cli);

}  // namespace toolgate
