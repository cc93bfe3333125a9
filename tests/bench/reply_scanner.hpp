// The driver's reading of a server's reply: just enough JSON to judge a response (see
// mcp_bench_driver.cpp). Header-only and free of toolgate code, like the driver.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace bench {

// Extracts the top-level id, result.isError, result.content[0].text, error.message and whether
// the message is a request/notification. Everything else is walked structurally and skipped,
// so key order and whitespace do not matter, and malformed JSON is reported, not guessed at.
struct Reply {
  bool has_id = false, id_is_number = false, has_result = false, has_error = false;
  bool has_method = false, is_error = false, has_text = false;
  int64_t id = 0;
  std::string text, error;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool reply(Reply& r) {
    bool ok = object([&](std::string_view k) {
      if (k == "id") {
        ws();
        if (p_ < end_ && *p_ == '"') return string(nullptr) && (r.has_id = true);
        if (lit("null")) return true;  // error replies to unparseable requests
        return r.has_id = r.id_is_number = integer(&r.id);
      }
      if (k == "result") return (r.has_result = true) && result(r);
      if (k == "error") {
        r.has_error = true;
        return object([&](std::string_view ek) { return ek == "message" ? string(&r.error) : skip(); });
      }
      if (k == "method") r.has_method = true;
      return skip();
    });
    ws();
    return ok && p_ == end_;
  }

 private:
  const char* p_;
  const char* end_;
  int depth_ = 0;
  std::string key_;

  bool result(Reply& r) {
    return object([&](std::string_view k) {
      if (k == "isError") {
        ws();
        if (lit("true")) return r.is_error = true;
        return skip();
      }
      if (k != "content") return skip();
      return array([&](size_t i) {
        if (i != 0) return skip();
        return object([&](std::string_view ck) {
          return ck == "text" ? (r.has_text = true) && string(&r.text) : skip();
        });
      });
    });
  }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }
  bool eat(char c) {
    ws();
    return p_ < end_ && *p_ == c ? (++p_, true) : false;
  }
  bool lit(std::string_view s) {
    if (size_t(end_ - p_) < s.size() || std::string_view(p_, s.size()) != s) return false;
    p_ += s.size();
    return true;
  }
  static void utf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) { *out += char(cp); return; }
    if (cp < 0x800) { *out += char(0xC0 | cp >> 6); }
    else if (cp < 0x10000) { *out += char(0xE0 | cp >> 12); *out += char(0x80 | (cp >> 6 & 0x3F)); }
    else { *out += char(0xF0 | cp >> 18); *out += char(0x80 | (cp >> 12 & 0x3F)); *out += char(0x80 | (cp >> 6 & 0x3F)); }
    *out += char(0x80 | (cp & 0x3F));
  }
  bool hex4(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    auto [ptr, ec] = std::from_chars(p_, p_ + 4, *v, 16);
    if (ec != std::errc() || ptr != p_ + 4) return false;
    p_ += 4;
    return true;
  }
  bool string(std::string* out) {  // out == nullptr: validate and skip
    if (!eat('"')) return false;
    if (out) out->clear();
    while (p_ < end_) {
      char c = *p_++;
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') { if (out) *out += c; continue; }
      if (p_ >= end_) return false;
      char e = *p_++;
      uint32_t cp = 0;
      switch (e) {
        case '"': case '\\': case '/': cp = uint8_t(e); break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
          if (!hex4(&cp)) return false;
          uint32_t lo = 0;
          if (cp >= 0xD800 && cp < 0xDC00 && lit("\\u") && hex4(&lo) && lo >= 0xDC00 && lo < 0xE000)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          break;
        }
        default: return false;
      }
      if (out) utf8(out, cp);
    }
    return false;
  }
  bool integer(int64_t* v) {
    ws();
    auto [ptr, ec] = std::from_chars(p_, end_, *v);
    if (ec != std::errc()) return false;
    p_ = ptr;
    return p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');  // a fraction is not an id
  }
  bool number() {
    ws();
    const char* s = p_;
    while (p_ < end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '-' || *p_ == '+' || *p_ == '.' ||
                         *p_ == 'e' || *p_ == 'E'))
      ++p_;
    return p_ != s;
  }
  template <class F> bool object(F&& on_key) {
    if (++depth_ > 64 || !eat('{')) return false;
    if (!eat('}')) {
      do {
        if (!string(&key_) || !eat(':')) return false;
        std::string key = key_;  // on_key may scan nested keys into key_
        if (!on_key(std::string_view(key))) return false;
      } while (eat(','));
      if (!eat('}')) return false;
    }
    --depth_;
    return true;
  }
  template <class F> bool array(F&& on_elem) {
    if (++depth_ > 64 || !eat('[')) return false;
    if (!eat(']')) {
      size_t i = 0;
      do {
        if (!on_elem(i++)) return false;
      } while (eat(','));
      if (!eat(']')) return false;
    }
    --depth_;
    return true;
  }
  bool skip() {
    ws();
    if (p_ >= end_) return false;
    switch (*p_) {
      case '{': return object([&](std::string_view) { return skip(); });
      case '[': return array([&](size_t) { return skip(); });
      case '"': return string(nullptr);
      case 't': return lit("true");
      case 'f': return lit("false");
      case 'n': return lit("null");
      default: return number();
    }
  }
};

}  // namespace bench
