// `toolgate manifest hash|lint`: the manifest tools a plugin author runs.
//   toolgate manifest hash MANIFEST [--library PATH]   write the library's sha256 into the manifest
//   toolgate manifest lint FILE...                     schema, annotation, scope and description
//                                                      hygiene findings as FILE:LINE:COLUMN lines
// Edits keep every other byte of the manifest as written and replace the file atomically.
// Exit status: 0 success (lint: warnings allowed), 1 a problem was found, 2 usage error.
// Single-threaded command-line code.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace toolgate {

int run_manifest_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Replaces `path` with `text` through a temporary file and rename, keeping the file's mode.
bool write_file_atomically(const std::string& path, const std::string& text, std::string& error);

}  // namespace toolgate
