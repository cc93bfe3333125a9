// Diagnostics go to stderr through spdlog, never to stdout (which carries the protocol) and never
// into the audit files. One line per event with an ISO timestamp, so clients that capture a
// server's stderr (Claude Code, Cursor) show something readable.
//
// Messages often quote what a client sent (its name, a request id, a tool name), so the stderr
// sink keeps two promises whatever a message holds: only a real event starts a line (a line
// break inside a message continues on a line indented by four spaces; other control characters,
// C1 controls and bidirectional overrides are written as \xNN escapes, so nobody can forge an
// event or drive the terminal), and the credential toolgate runs with never appears (scrubbed
// like in the audit).
#pragma once

#include <string>

namespace toolgate {

void setup_stderr_logging(const std::string& level);

// Scrubs the credential (and the parts it could be rebuilt from, credential_secrets()) from
// every later stderr line. Call as soon as the credential is known.
void scrub_credential_from_logs(const std::string& credential);

}  // namespace toolgate
