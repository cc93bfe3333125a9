#include "audit/redactor.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

namespace toolgate {

namespace json = boost::json;

namespace {

std::string normalise_key(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) out.push_back(static_cast<char>(std::tolower(u)));
  }
  return out;
}

constexpr auto kFlags = boost::regex::perl;

}  // namespace

std::vector<std::string> default_redact_keys() {
  return {"password",     "passwd",        "pwd",           "passphrase",   "token",        "secret",
          "api_key",      "apikey",        "authorization", "cookie",       "private_key",  "access_token",
          "refresh_token", "client_secret", "credential"};
}

namespace {

// The built-in patterns with the words one of which must occur (compared lower-case) for the
// pattern to possibly match. Checking those with a substring search first skips the regex
// engine for almost every string; a trigger may over-approximate, never under-approximate.
struct Builtin {
  const char* pattern;
  std::vector<std::string> triggers;
};

const std::vector<Builtin>& builtins() {
  static const std::vector<Builtin> table = {
      // HTTP bearer credentials: "Bearer <token>".
      {R"((?i)\bbearer\s+(?<secret>[a-z0-9._~+/=-]{8,}))", {"bearer"}},
      // JWT / JWS compact form: base64url JSON header and payload ("eyJ" = '{"').
      {R"(\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*)", {"eyj"}},
      // PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, ...), also when cut off before END.
      {R"(-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z))", {"-----begin"}},
      // AWS access key ids (long-term AKIA, temporary ASIA and the other IAM prefixes).
      {R"(\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b)",
       {"akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"}},
      // GitHub tokens.
      {R"(\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}))",
       {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
      // Slack tokens.
      {R"(\bxox[abposr]-[A-Za-z0-9-]{10,})", {"xox"}},
      // Google API keys.
      {R"(\bAIza[0-9A-Za-z_-]{35})", {"aiza"}},
      // "sk-..." style API keys and Stripe live/test keys.
      {R"(\bsk-[A-Za-z0-9_-]{20,}|\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,})", {"sk-", "k_live_", "k_test_"}},
      // user:password@ in URLs.
      {R"(://(?<secret>[^/\s:@]+:[^/\s@]+)@)", {"://"}},
      // password=..., api_key: ... in free text (connection strings, command lines, URLs), also
      // with a prefix (access_token=, client_secret=: no word boundary is asked for before the
      // name, which also keeps the scan linear) and quoted as in JSON text ("password":"...").
      {R"((?i)(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|credentials?)["']?\s*[=:]\s*["']?(?<secret>[^\s&;,'"]+))",
       {"passw", "passp", "pwd", "secret", "token", "key", "credential"}},
  };
  return table;
}

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_ascii(c);
  return out;
}

}  // namespace

std::vector<std::string> default_redact_patterns() {
  std::vector<std::string> out;
  for (const auto& b : builtins()) out.emplace_back(b.pattern);
  return out;
}

std::optional<std::string> Redactor::pattern_error(const std::string& pattern) {
  try {
    boost::regex re(pattern, kFlags);
    (void)re;
    return std::nullopt;
  } catch (const boost::regex_error& e) {
    return std::string(e.what());
  }
}

Redactor::Redactor(const std::vector<std::string>& keys, const std::vector<std::string>& patterns) {
  for (const auto& k : keys) {
    std::string n = normalise_key(k);
    if (!n.empty()) keys_.push_back(std::move(n));
  }
  for (const auto& p : patterns) {
    try {
      Pattern compiled{boost::regex(p, kFlags), p.find("(?<secret>") != std::string::npos, {}};
      for (const auto& b : builtins())
        if (p == b.pattern) compiled.triggers = b.triggers;
      if (compiled.triggers.empty()) untriggered_pattern_ = true;
      for (const auto& t : compiled.triggers) {
        if (t.size() < 2) throw std::logic_error("a built-in trigger word is shorter than two bytes: " + t);
        triggers_by_first_[static_cast<unsigned char>(t.front())].push_back(t);
        unsigned pair = static_cast<unsigned char>(t[0]) << 8 | static_cast<unsigned char>(t[1]);
        trigger_pairs_[pair / 64] |= std::uint64_t{1} << (pair % 64);
      }
      patterns_.push_back(std::move(compiled));
    } catch (const boost::regex_error& e) {
      throw std::invalid_argument("invalid redaction pattern '" + p + "': " + e.what());
    }
  }
}

Redactor::Redactor() : Redactor(default_redact_keys(), default_redact_patterns()) {}

// A literal is found by its first kLiteralHeadBytes and replaced as far as it matches: text cut
// to a length (an audit field's cap, a shown tool name) may end inside the secret, and what is
// left of it must not be written either.
std::string_view Redactor::literal_head(std::string_view literal) {
  return literal.substr(0, std::min(literal.size(), kLiteralHeadBytes));
}

void Redactor::add_literal(std::string secret) {
  if (secret.size() < 4) return;
  std::unique_lock lock(literals_mu_);
  for (const auto& l : literals_)
    if (l == secret) return;
  // Longest first, so a secret that extends another is replaced whole.
  auto at = std::find_if(literals_.begin(), literals_.end(), [&](const std::string& l) { return l.size() < secret.size(); });
  literals_.insert(at, std::move(secret));
  any_literals_.store(true, std::memory_order_release);
}

bool Redactor::is_secret_key(std::string_view key) const {
  std::string n = normalise_key(key);
  for (const auto& k : keys_)
    if (n.find(k) != std::string::npos) return true;
  return false;
}

// The common case costs no copy: a text that holds no literal, no trigger word of a built-in
// pattern, and meets no configured pattern (those always run) is left as it is. One pass over
// the text finds every trigger word, through the bitmap of their first two letters and then the
// index of their first letters.
bool Redactor::may_need_redaction(std::string_view text) const {
  // Most processes run without a credential to scrub (anonymous callers, the audit's own use):
  // then no lock is taken for each of an entry's strings.
  if (any_literals_.load(std::memory_order_acquire)) {
    std::shared_lock lock(literals_mu_);
    for (const auto& lit : literals_)
      if (text.find(literal_head(lit)) != std::string_view::npos) return true;
  }
  if (untriggered_pattern_) return true;
  if (text.size() < 2) return false;
  unsigned first = static_cast<unsigned char>(lower_ascii(text[0]));
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    unsigned second = static_cast<unsigned char>(lower_ascii(text[i + 1]));
    unsigned pair = first << 8 | second;
    first = second;
    if ((trigger_pairs_[pair / 64] >> (pair % 64) & 1) && trigger_at(text, i)) return true;
  }
  return false;
}

bool Redactor::trigger_at(std::string_view text, std::size_t i) const {
  for (const std::string& t : triggers_by_first_[static_cast<unsigned char>(lower_ascii(text[i]))]) {
    if (t.size() > text.size() - i) continue;
    std::size_t k = 1;
    while (k < t.size() && lower_ascii(text[i + k]) == t[k]) ++k;
    if (k == t.size()) return true;
  }
  return false;
}

std::string Redactor::redact_text(std::string_view text) const {
  if (!may_need_redaction(text)) return std::string(text);
  return redact_possible(text);
}

void Redactor::redact_string(std::string& s) const {
  if (!s.empty() && may_need_redaction(s)) s = redact_possible(s);
}

std::string Redactor::redact_possible(std::string_view text) const {
  std::string out(text);
  {
    std::shared_lock lock(literals_mu_);
    for (const auto& lit : literals_) {
      std::string_view head = literal_head(lit);
      for (std::size_t at = out.find(head); at != std::string::npos;) {
        std::size_t n = head.size();
        while (n < lit.size() && at + n < out.size() && out[at + n] == lit[n]) ++n;
        // A piece only where the text was cut (its end, or the "..." a cut leaves): elsewhere it
        // is another string that merely begins the same way, such as a token of the same issuer,
        // which its own pattern recognises whole.
        bool cut_here = at + n == out.size() || std::string_view(out).substr(at + n, 3) == "...";
        if (n < lit.size() && !cut_here) {
          at = out.find(head, at + 1);
          continue;
        }
        out.replace(at, n, kRedactedMark);
        at = out.find(head, at + kRedactedMark.size());
      }
    }
  }
  std::string lowered;  // for trigger checks; rebuilt after a replacement
  bool lowered_valid = false;
  for (const auto& p : patterns_) {
    if (!p.triggers.empty()) {
      if (!lowered_valid) {
        lowered = ascii_lower(out);
        lowered_valid = true;
      }
      bool possible = false;
      for (const auto& t : p.triggers)
        if (lowered.find(t) != std::string::npos) {
          possible = true;
          break;
        }
      if (!possible) continue;
    }
    try {
      if (apply(p, out)) lowered_valid = false;
    } catch (const std::runtime_error&) {
      return std::string(kRedactedMark);  // too complex to scan: fail safe
    }
  }
  return out;
}

// Replaces every match (or its `secret` group) in `text`; leaves `text` untouched, without
// copying, when nothing matches, which is the common case.
bool Redactor::apply(const Pattern& p, std::string& text) {
  boost::smatch m;
  auto it = text.cbegin(), end = text.cend();
  if (!boost::regex_search(it, end, m, p.re)) return false;
  std::string out;
  out.reserve(text.size());
  auto flags = boost::regex_constants::match_default;
  do {
    const auto& whole = m[0];
    auto cut_from = whole.first, cut_to = whole.second;
    if (p.has_secret_group && m["secret"].matched) {
      cut_from = m["secret"].first;
      cut_to = m["secret"].second;
    }
    out.append(it, cut_from).append(kRedactedMark).append(cut_to, whole.second);
    it = whole.second;
    if (whole.first == whole.second) {  // an empty match: step over one character
      if (it == end) break;
      out.push_back(*it++);
    }
    flags |= boost::regex_constants::match_prev_avail | boost::regex_constants::match_not_bob;
  } while (it != end && boost::regex_search(it, end, m, p.re, flags));
  out.append(it, end);
  text = std::move(out);
  return true;
}

void Redactor::redact_in_place(json::value& v) const {
  switch (v.kind()) {
    case json::kind::object: {
      bool key_has_secret = false;
      for (auto& kv : v.get_object()) {
        if (!kv.value().is_null() && is_secret_key(kv.key()))
          kv.value() = kRedactedMark;
        else
          redact_in_place(kv.value());
        std::string_view key(kv.key().data(), kv.key().size());
        if (!key_has_secret && may_need_redaction(key) && redact_possible(key) != key) key_has_secret = true;
      }
      if (key_has_secret) redact_keys(v.get_object());
      break;
    }
    case json::kind::array:
      for (auto& item : v.get_array()) redact_in_place(item);
      break;
    case json::kind::string: {
      const json::string& s = v.get_string();
      if (!may_need_redaction(std::string_view(s.data(), s.size()))) break;
      std::string r = redact_possible(std::string_view(s.data(), s.size()));
      if (r.size() != s.size() || std::string_view(r) != std::string_view(s.data(), s.size())) v = r;
      break;
    }
    default:
      break;
  }
}

// Rebuilds `o` with every key redacted like a string. Two keys may come out the same (both
// "[REDACTED]"): the later ones get " #2", " #3"... so no member is lost.
void Redactor::redact_keys(json::object& o) const {
  json::object out(o.storage());
  out.reserve(o.size());
  for (auto& kv : o) {
    std::string_view key(kv.key().data(), kv.key().size());
    std::string name = may_need_redaction(key) ? redact_possible(key) : std::string(key);
    if (out.contains(name))
      for (int n = 2;; ++n)
        if (std::string other = name + " #" + std::to_string(n); !out.contains(other)) {
          name = std::move(other);
          break;
        }
    out.emplace(name, std::move(kv.value()));
  }
  o = std::move(out);
}

json::value Redactor::redact(const json::value& v) const {
  json::value out = v;
  redact_in_place(out);
  return out;
}

}  // namespace toolgate
