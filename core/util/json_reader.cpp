#include <cmath>
#include "util/json_reader.hpp"
#include "util/regular_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace toolgate {

namespace json = boost::json;

std::string JsonErrors::joined(const std::string& sep) const {
  std::string out;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (i) out += sep;
    out += items_[i];
  }
  return out;
}

JsonObjectReader::JsonObjectReader(const json::object* obj, std::string path, JsonErrors& errors)
    : obj_(obj), path_(std::move(path)), errors_(errors) {}

std::string JsonObjectReader::child_path(const std::string& key) const {
  bool simple = !key.empty();
  for (char c : key) simple = simple && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  return simple ? path_ + "." + key : path_ + "[" + json::serialize(json::value(key)) + "]";
}

bool JsonObjectReader::has(const std::string& key) const { return obj_ && obj_->contains(key); }

const json::value* JsonObjectReader::find(const std::string& key, bool required) {
  seen_.insert(key);
  if (!obj_) {
    return nullptr;
  }
  auto it = obj_->find(key);
  if (it == obj_->end()) {
    if (required) errors_.add(child_path(key), "is required");
    return nullptr;
  }
  return &it->value();
}

void JsonObjectReader::type_error(const std::string& key, const char* expected) {
  errors_.add(child_path(key), std::string("expected ") + expected);
}

std::optional<std::string> JsonObjectReader::string(const std::string& key, bool required) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    type_error(key, "a string");
    return std::nullopt;
  }
  return std::string(v->get_string());
}

std::string JsonObjectReader::string_or(const std::string& key, const std::string& def) {
  return string(key).value_or(def);
}

std::optional<bool> JsonObjectReader::boolean(const std::string& key, bool required) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_bool()) {
    type_error(key, "true or false");
    return std::nullopt;
  }
  return v->get_bool();
}

bool JsonObjectReader::boolean_or(const std::string& key, bool def) { return boolean(key).value_or(def); }

namespace {
// A double converts to int64 only when it is whole and inside the range; casting anything else
// is undefined behaviour (the fuzzer found 1e300 in a manifest).
bool is_whole_int64(double d) {
  return std::isfinite(d) && d >= -9.2233720368547758e18 && d < 9.2233720368547758e18 && d == std::trunc(d);
}
}  // namespace

std::optional<std::int64_t> JsonObjectReader::integer(const std::string& key, std::int64_t min,
                                                      std::int64_t max, bool required) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  std::string expect = max == INT64_MAX ? "an integer >= " + std::to_string(min)
                                        : "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  std::int64_t n;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    n = static_cast<std::int64_t>(v->get_uint64());
  } else if (v->is_double() && is_whole_int64(v->get_double())) {
    n = static_cast<std::int64_t>(v->get_double());
  } else {
    errors_.add(child_path(key), "expected " + expect);
    return std::nullopt;
  }
  if (n < min || n > max) {
    errors_.add(child_path(key), "expected " + expect + ", got " + std::to_string(n));
    return std::nullopt;
  }
  return n;
}

std::int64_t JsonObjectReader::integer_or(const std::string& key, std::int64_t def, std::int64_t min,
                                          std::int64_t max) {
  return integer(key, min, max).value_or(def);
}

std::optional<double> JsonObjectReader::number(const std::string& key, double min, double max, bool required) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    type_error(key, "a number");
    return std::nullopt;
  }
  double d = v->to_number<double>();
  if (d < min || d > max) {
    errors_.add(child_path(key), "expected a number from " + std::to_string(min) + " to " + std::to_string(max));
    return std::nullopt;
  }
  return d;
}

std::optional<std::vector<std::string>> JsonObjectReader::string_array(const std::string& key, bool required) {
  const json::value* v = find(key, required);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    type_error(key, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  const auto& arr = v->get_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_string()) {
      errors_.add(child_path(key) + "[" + std::to_string(i) + "]", "expected a string");
      return std::nullopt;
    }
    out.emplace_back(arr[i].get_string());
  }
  return out;
}

JsonObjectReader JsonObjectReader::object(const std::string& key, bool required) {
  const json::value* v = find(key, required);
  if (v && !v->is_object()) {
    type_error(key, "an object");
    v = nullptr;
  }
  return JsonObjectReader(v ? &v->get_object() : nullptr, child_path(key), errors_);
}

const json::array* JsonObjectReader::array(const std::string& key, bool required) {
  const json::value* v = find(key, required);
  if (!v) return nullptr;
  if (!v->is_array()) {
    type_error(key, "an array");
    return nullptr;
  }
  return &v->get_array();
}

const json::value* JsonObjectReader::raw(const std::string& key, bool required) { return find(key, required); }

void JsonObjectReader::finish() {
  if (!obj_) return;
  for (const auto& kv : *obj_) {
    std::string k(kv.key());
    if (!seen_.count(k)) errors_.add(child_path(k), "unknown field");
  }
}

std::optional<json::value> parse_json_text(const std::string& text, const std::string& origin, JsonErrors& errors) {
  json::stream_parser p;
  boost::system::error_code ec;
  p.write(text.data(), text.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    // Locate the failure by re-parsing prefixes is costly; count lines up to the consumed offset.
    size_t line = 1, col = 1;
    json::stream_parser probe;
    boost::system::error_code ec2;
    size_t consumed = probe.write_some(text.data(), text.size(), ec2);
    for (size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    errors.add(origin, "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(col) + ": " +
                           ec.message());
    return std::nullopt;
  }
  return p.release();
}

std::optional<std::string> read_file(const std::string& path, JsonErrors& errors, bool allow_pipe) {
  std::string error;
  auto text = read_regular_file(path, kMaxJsonFileBytes, error, allow_pipe);
  if (!text) errors.add(path, "cannot read file: " + error);
  return text;
}

}  // namespace toolgate
