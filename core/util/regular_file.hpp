// Reads a file that must be a regular file: the one way toolgate reads configuration, manifests,
// keys and audit files. Someone who can write to a plugin or audit directory could otherwise
// plant a FIFO (the open or the read never returns) or a link to /dev/zero (the read never
// ends, until memory runs out), and the read happens before any signature check.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace toolgate {

// Opens `path` without blocking (O_NONBLOCK, so a FIFO cannot stall the open) and reads it whole
// if it is a regular file of at most `max_bytes`. On failure, nullopt and `reason` says why
// ("not a regular file", "larger than N bytes", or the system's reason), without the path.
// `allow_pipe`: a pipe or FIFO is read too (to its end), for a file an operator names on the
// command line, such as `--config <(generate-policy)`; never for a directory someone else can
// write to.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes, std::string& reason,
                                             bool allow_pipe = false);

// Opens `path` for reading if it is a regular file (O_NONBLOCK cleared again, O_CLOEXEC set);
// -1 with `reason` set otherwise ("not a regular file" or the system's reason, without the
// path). For callers that stream the file themselves.
int open_regular_file(const std::string& path, std::string& reason, bool allow_pipe = false);

}  // namespace toolgate
