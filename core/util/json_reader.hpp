// Strict reading of JSON configuration (policy, keys files, manifests) with errors that name the
// JSONPath of the offending value, e.g. "$.rateLimits.perTenant.burst: expected an integer >= 1".
//
// Usage: wrap the root value in a JsonReader, read fields with the typed getters, and call
// finish() on every object to reject fields nobody read (unknown fields are errors, not silently
// ignored). All errors are collected, so one run reports every problem in a file.
// Not thread-safe; a reader lives only while one document is parsed.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace toolgate {

class JsonErrors {
 public:
  void add(const std::string& path, const std::string& message) { items_.push_back(path + ": " + message); }
  bool empty() const { return items_.empty(); }
  const std::vector<std::string>& items() const { return items_; }
  std::string joined(const std::string& sep = "\n") const;

 private:
  std::vector<std::string> items_;
};

class JsonObjectReader {
 public:
  // `obj` may be null (the object was absent); then every getter returns its default.
  JsonObjectReader(const boost::json::object* obj, std::string path, JsonErrors& errors);
  ~JsonObjectReader() = default;

  const std::string& path() const { return path_; }
  bool present() const { return obj_ != nullptr; }
  bool has(const std::string& key) const;

  std::optional<std::string> string(const std::string& key, bool required = false);
  std::string string_or(const std::string& key, const std::string& def);
  std::optional<bool> boolean(const std::string& key, bool required = false);
  bool boolean_or(const std::string& key, bool def);
  // Integer in [min, max]; the error says "expected an integer >= min" (or a range).
  std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max,
                                      bool required = false);
  std::int64_t integer_or(const std::string& key, std::int64_t def, std::int64_t min,
                          std::int64_t max);
  std::optional<double> number(const std::string& key, double min, double max, bool required = false);
  std::optional<std::vector<std::string>> string_array(const std::string& key, bool required = false);
  // Nested object; the returned reader is absent (not an error) when the key is missing.
  JsonObjectReader object(const std::string& key, bool required = false);
  const boost::json::array* array(const std::string& key, bool required = false);
  // Any JSON value, unchecked (e.g. an embedded JSON Schema).
  const boost::json::value* raw(const std::string& key, bool required = false);
  // Marks a key as known without reading it.
  void accept(const std::string& key) { seen_.insert(key); }

  // Reports every key that was present but never read as "unknown field".
  void finish();

  JsonErrors& errors() { return errors_; }
  std::string child_path(const std::string& key) const;

 private:
  const boost::json::value* find(const std::string& key, bool required);
  void type_error(const std::string& key, const char* expected);

  const boost::json::object* obj_;
  std::string path_;
  JsonErrors& errors_;
  std::set<std::string> seen_;
};

// Parses text as JSON; on failure adds "<origin>: invalid JSON at line L, column C: reason".
std::optional<boost::json::value> parse_json_text(const std::string& text, const std::string& origin,
                                                  JsonErrors& errors);

// Policy files, manifests and key files larger than this are refused rather than read.
inline constexpr std::size_t kMaxJsonFileBytes = 64u << 20;

// Reads a whole regular file of at most kMaxJsonFileBytes (read_regular_file); std::nullopt and
// an error naming the file on failure.
// `allow_pipe` as for read_regular_file: only for a file the operator names (the policy).
std::optional<std::string> read_file(const std::string& path, JsonErrors& errors, bool allow_pipe = false);

}  // namespace toolgate
