#include "registry/json_locator.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace toolgate {

namespace {
constexpr int kMaxDepth = 256;

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}
}  // namespace

// Recursive descent over the text, recording each value's span under its path.
class JsonScanner {
 public:
  JsonScanner(std::string_view t, JsonLocator& out) : t_(t), out_(out) {}

  bool run() {
    skip_ws();
    if (!value("$", JsonLocation::npos, 0)) return false;
    skip_ws();
    return i_ == t_.size();
  }

 private:
  void skip_ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  int hex4() {
    if (i_ + 4 > t_.size()) return -1;
    int v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = t_[i_ + k];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return -1;
    }
    i_ += 4;
    return v;
  }
  // At an opening quote; decodes into `out` (when given) and leaves i_ after the closing quote.
  bool string(std::string* out) {
    if (i_ >= t_.size() || t_[i_] != '"') return false;
    ++i_;
    while (i_ < t_.size()) {
      char c = t_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        if (out) out->push_back(c);
        continue;
      }
      if (i_ >= t_.size()) return false;
      char e = t_[i_++];
      const char* simple = "\"\\/bfnrt";
      const char* mapped = "\"\\/\b\f\n\r\t";
      if (const char* p = std::strchr(simple, e); p && e) {
        if (out) out->push_back(mapped[p - simple]);
      } else if (e == 'u') {
        int cp = hex4();
        if (cp < 0) return false;
        if (cp >= 0xD800 && cp < 0xDC00 && i_ + 1 < t_.size() && t_[i_] == '\\' && t_[i_ + 1] == 'u') {
          i_ += 2;
          int lo = hex4();
          if (lo < 0xDC00 || lo > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (out) append_utf8(*out, static_cast<unsigned>(cp));
      } else {
        return false;
      }
    }
    return false;
  }
  bool scalar() {
    std::size_t start = i_;
    while (i_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[i_])) || t_[i_] == '-' || t_[i_] == '+' ||
                              t_[i_] == '.'))
      ++i_;
    return i_ > start;
  }
  bool value(const std::string& path, std::size_t key_begin, int depth) {
    if (depth > kMaxDepth) return false;
    skip_ws();
    if (i_ >= t_.size()) return false;
    JsonLocation loc;
    loc.begin = i_;
    loc.key_begin = key_begin;
    char c = t_[i_];
    bool ok;
    if (c == '{') {
      ++i_;
      ok = object(path, loc, depth);
    } else if (c == '[') {
      ++i_;
      ok = array(path, depth);
    } else if (c == '"') {
      ok = string(nullptr);
    } else {
      ok = scalar();
    }
    loc.end = i_;
    // A container that breaks off part-way is still worth locating; a broken scalar is not.
    if (ok || c == '{' || c == '[') out_.by_path_[path] = loc;
    return ok;
  }
  bool object(const std::string& path, JsonLocation& loc, int depth) {
    if (eat('}')) return true;
    for (;;) {
      skip_ws();
      std::size_t key_at = i_;
      std::string key;
      if (!string(&key) || !eat(':')) return false;
      if (!value(json_child_path(path, key), key_at, depth + 1)) return false;
      loc.last_member_end = i_;
      loc.last_member_key = key_at;
      if (eat('}')) return true;
      if (!eat(',')) return false;
    }
  }
  bool array(const std::string& path, int depth) {
    if (eat(']')) return true;
    for (std::size_t n = 0;; ++n) {
      if (!value(path + "[" + std::to_string(n) + "]", JsonLocation::npos, depth + 1)) return false;
      if (eat(']')) return true;
      if (!eat(',')) return false;
    }
  }

  std::string_view t_;
  JsonLocator& out_;
  std::size_t i_ = 0;
};

std::string json_child_path(const std::string& parent, const std::string& key) {
  bool simple = !key.empty();
  for (char c : key) simple = simple && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  return simple ? parent + "." + key : parent + "[" + boost::json::serialize(boost::json::value(key)) + "]";
}

JsonLocator::JsonLocator(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  JsonScanner scanner(text, *this);
  complete_ = scanner.run();
}

const JsonLocation* JsonLocator::find(const std::string& path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second;
}

const JsonLocation* JsonLocator::nearest(const std::string& path) const {
  std::string p = path;
  for (;;) {
    if (const JsonLocation* l = find(p)) return l;
    // Strip the last component: ".name", "[3]" or "[\"odd key\"]".
    std::size_t cut = std::string::npos;
    if (!p.empty() && p.back() == ']') {
      bool quoted = p.size() >= 2 && p[p.size() - 2] == '"';
      for (std::size_t k = p.size() - 1; k-- > 0;) {
        if (p[k] != '[') continue;
        if (!quoted || (k + 1 < p.size() && p[k + 1] == '"')) {
          cut = k;
          break;
        }
      }
    } else {
      cut = p.find_last_of('.');
    }
    if (cut == std::string::npos || cut == 0) return find("$");
    p.resize(cut);
  }
}

LineColumn JsonLocator::position(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
  std::size_t start = line_starts_[line - 1];
  std::size_t column = 1;
  for (std::size_t k = start; k < offset; ++k)
    if ((static_cast<unsigned char>(text_[k]) & 0xC0) != 0x80) ++column;
  return {line, column};
}

std::optional<std::string> set_top_level_member(const std::string& text, const std::string& key,
                                                const std::string& value_json, const std::string& after_key) {
  JsonLocator loc(text);
  const JsonLocation* root = loc.find("$");
  if (!loc.complete() || !root || text[root->begin] != '{') return std::nullopt;
  if (const JsonLocation* existing = loc.find(json_child_path("$", key)))
    return text.substr(0, existing->begin) + value_json + text.substr(existing->end);
  const JsonLocation* anchor = after_key.empty() ? nullptr : loc.find(json_child_path("$", after_key));
  std::size_t insert_at = anchor ? anchor->end : root->last_member_end;
  std::size_t neighbour_key = anchor ? anchor->key_begin : root->last_member_key;
  std::string member = boost::json::serialize(boost::json::value(key)) + ": " + value_json;
  if (insert_at == JsonLocation::npos) {  // empty object
    std::size_t close = root->end - 1;
    return text.substr(0, close) + member + text.substr(close);
  }
  // Indent like the neighbour: the whitespace between its line start and its key.
  std::size_t line_start = text.rfind('\n', neighbour_key);
  std::string sep = ", ";
  if (line_start != std::string::npos) {
    std::string indent = text.substr(line_start + 1, neighbour_key - line_start - 1);
    if (indent.find_first_not_of(" \t") == std::string::npos) sep = ",\n" + indent;
  }
  return text.substr(0, insert_at) + sep + member + text.substr(insert_at);
}

}  // namespace toolgate
