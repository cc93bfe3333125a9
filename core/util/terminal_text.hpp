// Text from callers (a client name, a tool name, an actor) shown on a terminal or in a log line:
// which characters could drive the terminal, break the line, or disguise the text. Shared by the
// stderr log sink and `toolgate audit tail/query`, which each replace what this finds.
#pragma once

#include <cstddef>
#include <string_view>

namespace toolgate {

// The byte length of the unsafe character starting at text[i], or 0 if it is safe: C0 controls
// and DEL (1 byte), C1 controls U+0080-U+009F such as the 8-bit CSI and NEL (2 bytes), and the
// bidirectional marks, embeddings, overrides and isolates U+061C, U+200E-F, U+202A-E,
// U+2066-9 (2 or 3 bytes). Everything else, valid UTF-8 or not, is left to the caller.
std::size_t unsafe_character_at(std::string_view text, std::size_t i);

}  // namespace toolgate
