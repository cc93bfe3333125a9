#include "audit/json_line.hpp"

#include "util/utf8.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace toolgate {

namespace json = boost::json;

namespace {

// True if any of the 8 bytes in `w` is a control character, '"', '\\' or non-ASCII: the bytes
// that need a closer look. Plain ASCII text, by far the most common, is skipped 8 bytes a time.
inline bool word_needs_care(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  auto has_zero = [&](std::uint64_t x) { return (x - ones) & ~x & highs; };
  std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;  // a byte < 0x20 (or >= 0x80)
  return ((below_space | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\')) | w) & highs) != 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0, run = 0;  // [run, i) is copied verbatim
  auto flush = [&] { out.append(s.data() + run, i - run); };
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!word_needs_care(w)) {
        i += 8;
        continue;
      }
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(s, i);
      if (n) {
        i += n;
        continue;
      }
      flush();
      out.append("\\ufffd");
      run = ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        out.append("\\u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
    run = ++i;
  }
  flush();
  out.push_back('"');
}

void append_json_value(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, kv.key());
        out.push_back(':');
        append_json_value(out, kv.value());
      }
      out.push_back('}');
      break;
    }
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_json_value(out, item);
      }
      out.push_back(']');
      break;
    }
    case json::kind::string:
      append_json_string(out, v.get_string());
      break;
    case json::kind::int64:
    case json::kind::uint64: {
      char digits[24];
      auto r = v.is_int64() ? std::to_chars(digits, digits + sizeof digits, v.get_int64())
                            : std::to_chars(digits, digits + sizeof digits, v.get_uint64());
      out.append(digits, r.ptr);
      break;
    }
    case json::kind::bool_:
      out.append(v.get_bool() ? "true" : "false");
      break;
    case json::kind::null:
      out.append("null");
      break;
    default:  // doubles: Boost.JSON's shortest round-trip form
      out.append(json::serialize(v));
  }
}

}  // namespace toolgate
