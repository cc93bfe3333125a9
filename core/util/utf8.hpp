// UTF-8 checks shared by everything that must emit valid UTF-8 (JSON-RPC messages, audit
// lines) or explain input that is not.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace toolgate {

// Length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or 0 if there is none:
// overlong forms, surrogates and code points past U+10FFFF are not well-formed.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

bool is_valid_utf8(std::string_view s);

// `s` with every byte that does not start a well-formed sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view s);

}  // namespace toolgate
