// Keeps the real stdout for the protocol. Called once at start-up, before any plugin loads: it
// duplicates fd 1 to a private descriptor (close-on-exec) and points fd 1 at stderr, so a plugin
// that prints, or a library that writes to stdout, cannot corrupt the JSON-RPC stream.
// Not thread-safe; call from main() before starting threads.
#pragma once

namespace toolgate {

// Returns the private protocol descriptor, or -1 with errno set.
int take_over_stdout();

}  // namespace toolgate
