// Diagnostics go to stderr through spdlog, never to stdout (which carries the protocol) and never
// into the audit files. One line per event with an ISO timestamp, so clients that capture a
// server's stderr (Claude Code, Cursor) show something readable.
#pragma once

#include <string>

namespace toolgate {

void setup_stderr_logging(const std::string& level);

}  // namespace toolgate
