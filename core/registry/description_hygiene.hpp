// Description hygiene: finds text in tool descriptions and schema strings that is aimed at the
// model rather than at the people reviewing the tool, a known tool-poisoning vector. Looks for
// invisible and bidirectional Unicode (U+200B..U+200F, U+202A..U+202E, U+2060..U+2064,
// U+2066..U+2069, U+FEFF, U+00AD, tag characters U+E0000..U+E007F, control characters), hidden
// markup (HTML comments, <IMPORTANT>-style tags, CSS that hides text, chat-template role
// markers), instruction phrases ("ignore previous instructions", "do not tell the user", ...),
// references to secrets on disk (~/.ssh, mcp.json, ...), long runs of whitespace, and (for
// descriptions) excessive length.
//
// Matching works on a word-normalised copy of the text with a tiny slot matcher instead of
// std::regex, so the cost is linear in the text and hostile input cannot exhaust the stack.
// Pure functions; thread-safe. Findings are warnings: a human decides.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

inline constexpr std::size_t kMaxDescriptionChars = 1024;

struct HygieneOptions {
  bool check_length = false;  // descriptions only
  bool check_content = true;  // phrases and markup; off for technical fields (hashes, file names)
};

// One message per finding, e.g. "contains U+200B ZERO WIDTH SPACE (invisible) at character 17".
std::vector<std::string> description_problems(std::string_view text, const HygieneOptions& options);

}  // namespace toolgate
