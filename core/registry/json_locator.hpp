// Where each value of a JSON document sits in its text, by JSONPath, so diagnostics can say
// file:line:column, and small in-place edits of a JSON file (set one top-level member) that keep
// every other byte (formatting, key order, comments in strings) as the author wrote them.
// Paths are rendered exactly like JsonObjectReader's ("$.tools[0].name", "$[\"a-b\"]"), so an
// error from the strict parsers can be located by its path.
//
// The scanner is tolerant: on a syntax error it stops and keeps what it found (complete() is
// false). Depth is capped, so hostile input cannot exhaust the stack. A locator is an immutable
// value after construction; it copies nothing from the text but offsets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace toolgate {

struct JsonLocation {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t begin = 0;          // offset of the value's first byte
  std::size_t end = 0;            // one past its last byte
  std::size_t key_begin = npos;   // object members: offset of the key's opening quote
  std::size_t last_member_end = npos;  // objects: end of the last member's value (npos if empty)
  std::size_t last_member_key = npos;  // objects: key offset of the last member
};

struct LineColumn {
  std::size_t line = 1;    // 1-based
  std::size_t column = 1;  // 1-based, in characters (UTF-8 code points)
};

class JsonLocator {
 public:
  explicit JsonLocator(std::string_view text);

  bool complete() const { return complete_; }
  const JsonLocation* find(const std::string& path) const;
  // The location of `path` or, if it is not in the text (a missing member), of its nearest
  // ancestor; never null for a document that has at least a root value.
  const JsonLocation* nearest(const std::string& path) const;
  LineColumn position(std::size_t offset) const;

 private:
  std::unordered_map<std::string, JsonLocation> by_path_;
  std::vector<std::size_t> line_starts_;
  std::string_view text_;
  bool complete_ = false;
  friend class JsonScanner;
};

// JSONPath of an object member, as JsonObjectReader::child_path renders it.
std::string json_child_path(const std::string& parent, const std::string& key);

// Returns `text` with top-level member `key` set to `value_json` (already serialized): an
// existing value is replaced in place; otherwise a new member is inserted after member
// `after_key` (or after the last member when absent), indented like its neighbour. nullopt if
// the text is not a JSON object.
std::optional<std::string> set_top_level_member(const std::string& text, const std::string& key,
                                                const std::string& value_json, const std::string& after_key = "");

}  // namespace toolgate
