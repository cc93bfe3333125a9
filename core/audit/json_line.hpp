// JSON text for audit lines, written by hand because a line must always parse back: strings are
// escaped (control characters as \uXXXX, so a line never contains a raw newline) and invalid
// UTF-8 (e.g. an error message from a plugin) is replaced by U+FFFD instead of being copied
// through, which would make the verifier reject the line. Object members keep their order.
// Pure functions; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace toolgate {

// Appends `s` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view s);
// Appends `v` as compact JSON.
void append_json_value(std::string& out, const boost::json::value& v);

}  // namespace toolgate
