// A path into a JSON value, as the policy's `redact.response` lists them, and the one thing a
// path does: replace every value it selects with "[REDACTED]". The syntax is the small, common
// part of JSONPath:
//   $.data.private_ip        member by name (letters, digits, '_' and '-')
//   $['odd key'] / $["k"]    member by any name (quotes escape with a backslash)
//   $.items[0]               array element by index
//   $.items[*].token / $.*   every element of an array or member of an object
//   $..password              recursive descent: the selector after '..' is tried at every depth
// Filters, slices, unions and negative indexes are refused with a message saying where; so is
// "$" alone (it would hide the whole response, which is a deny rule, not a redaction).
// Pure logic; a parsed path is immutable and safe to share between threads.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

class RedactionPath {
 public:
  struct Step {
    enum class Kind { Member, Index, Wildcard, Descend };
    Kind kind = Kind::Member;
    std::string name;        // Member
    std::size_t index = 0;   // Index
  };

  // nullopt with `error` ("expected a member name after '.' at offset 7") when `text` is not a
  // path in the syntax above.
  static std::optional<RedactionPath> parse(std::string_view text, std::string& error);

  // Replaces every value this path selects inside `root` with the redaction mark; returns how
  // many it replaced. Values that are absent are skipped: a path that matches nothing is fine.
  std::size_t apply(boost::json::value& root) const;

  const std::string& text() const { return text_; }
  const std::vector<Step>& steps() const { return steps_; }

 private:
  std::size_t apply_from(boost::json::value& v, std::size_t step) const;

  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace toolgate
