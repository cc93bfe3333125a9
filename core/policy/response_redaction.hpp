// The policy's response redaction: the `redact` section's paths, applied to what a tool returns
// before the response leaves (and before the audit entry is built, so any copy of the output
// holds the same redacted form).
//   "redact": {
//     "response": ["$.data.private_ip", "$..password", "$.items[*].token"],   every tool
//     "perTool":  { "db_query": ["$.rows[*].ssn"] }                          added for that tool
//   }
// A result's paths are tried against its structuredContent and against every text content
// item (and embedded text resource) whose text parses as JSON; such a text is re-serialized
// only when something in it was redacted. A job's partial result is redacted as a whole value.
// Immutable after parsing; safe to share between threads (calls hold it by shared_ptr so a
// reload never changes the rules under a call in flight).
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/redaction_path.hpp"
#include "util/json_reader.hpp"

namespace toolgate {

class ResponseRedaction {
 public:
  // JSON in text content is checked up to this depth; deeper documents are withheld whole.
  static constexpr unsigned kMaxTextDepth = 512;
  ResponseRedaction() = default;
  ResponseRedaction(std::vector<RedactionPath> global, std::map<std::string, std::vector<RedactionPath>> per_tool);

  // True when no path applies to `tool` (the common case costs one map lookup).
  bool none_for(const std::string& tool) const;
  // Redacts a CallToolResult in place; returns how many values were replaced.
  std::size_t apply_to_result(const std::string& tool, boost::json::object& result) const;
  // Redacts an arbitrary JSON value (a job's partial result) in place.
  std::size_t apply_to_value(const std::string& tool, boost::json::value& value) const;
  // The same for text kept apart from a result (a failed job's stored error message): a JSON
  // document or JSON Lines in it are redacted; other text is left as it is.
  std::size_t apply_to_string(const std::string& tool, std::string& text) const;

  const std::vector<RedactionPath>& global() const { return global_; }
  const std::map<std::string, std::vector<RedactionPath>>& per_tool() const { return per_tool_; }

 private:
  std::size_t apply_paths(const std::string& tool, boost::json::value& v) const;
  // A JSON document inside a string: parsed, redacted and written back when something matched.
  std::size_t apply_to_text(const std::string& tool, boost::json::value& text) const;
  std::optional<std::size_t> redact_document(const std::string& tool, std::string& s) const;

  std::vector<RedactionPath> global_;
  std::map<std::string, std::vector<RedactionPath>> per_tool_;
};

// Reads the policy's `redact` object behind `r` (absent: no redaction). Every bad path is an
// error naming its place: "$.redact.response[0]: invalid path: a path starts with '$', ...".
// Calls r.finish().
ResponseRedaction parse_response_redaction(JsonObjectReader& r);

}  // namespace toolgate
