// Scrubs secrets out of JSON values and text before anything is written: audit inputs, stderr
// diagnostics, tap output. Three rules, applied in this order:
//  1. literals: every occurrence of a registered secret string (the caller's own credential) is
//     replaced wherever it appears inside a string, and so is a piece of it at least 24 bytes
//     long that starts where the secret starts and ends where the text does or at "..." (what
//     is left when text is cut to a length);
//  2. secret-like keys: an object member whose key, lower-cased with every character outside
//     [a-z0-9] removed, CONTAINS one of the configured names (normalised the same way) has its
//     whole value replaced, objects and arrays included (null stays null). So "api_key" also
//     catches "X-Api-Key", "apikey" and "x_api_key_2", and "password" catches "db_password".
//     Deliberately broad: "token" also hides "max_tokens"; over-redaction is the safe error;
//  3. patterns (Perl-syntax regular expressions, Boost.Regex): every match inside a string is
//     replaced; when the pattern has a named group `secret`, only that group is, so
//     "password=hunter2" becomes "password=[REDACTED]". A pattern that exceeds Boost.Regex's
//     complexity limit redacts the whole string. Built-in patterns are only run on text that
//     contains one of their trigger words (a substring check, much cheaper than the regex
//     engine); configured patterns always run.
// Matches become "[REDACTED]". Rules 1 and 3 apply to object keys too (an argument may be named
// after a secret); keys that come out equal get " #2", " #3"... appended, so no member is lost.
//
// Construct once (patterns compile then); redact()/redact_text() are const and safe to call
// from many threads at once, also while another thread calls add_literal().
#pragma once

#include <boost/json.hpp>
#include <boost/regex.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/redacted_mark.hpp"

namespace toolgate {

// password, token, secret, api_key, apikey, authorization, cookie, private_key, ...
std::vector<std::string> default_redact_keys();
// Bearer tokens, JWTs, PEM private key blocks, AWS key ids, GitHub/Slack/Google/"sk-" keys,
// passwords in URLs and in key=value text.
std::vector<std::string> default_redact_patterns();

class Redactor {
 public:
  // Throws std::invalid_argument naming the pattern if one does not compile (parse_audit_config
  // reports that as a config error first, with its JSONPath).
  Redactor(const std::vector<std::string>& keys, const std::vector<std::string>& patterns);
  // Default keys and patterns.
  Redactor();

  boost::json::value redact(const boost::json::value& v) const;
  // The same, on the value itself (no copy).
  void redact_in_place(boost::json::value& v) const;
  std::string redact_text(std::string_view text) const;
  // redact_text() in place; no copy when nothing in `s` can need it.
  void redact_string(std::string& s) const;
  bool is_secret_key(std::string_view key) const;

  // Registers a secret to scrub verbatim (ignored if shorter than 4 bytes: too likely to hit
  // ordinary text). Thread-safe.
  void add_literal(std::string secret);

  // Error text if `pattern` does not compile, nullopt if it does.
  static std::optional<std::string> pattern_error(const std::string& pattern);

 private:
  struct Pattern {
    boost::regex re;
    bool has_secret_group;
    std::vector<std::string> triggers;  // built-in patterns only: cheap pre-check words
  };
  static constexpr std::size_t kLiteralHeadBytes = 24;
  static std::string_view literal_head(std::string_view literal);
  static bool apply(const Pattern& p, std::string& text);
  bool may_need_redaction(std::string_view text) const;
  // Whether a trigger word starts at text[i].
  bool trigger_at(std::string_view text, std::size_t i) const;
  void redact_keys(boost::json::object& o) const;
  // redact_text() once may_need_redaction() said yes.
  std::string redact_possible(std::string_view text) const;

  std::vector<std::string> keys_;  // normalised
  std::vector<Pattern> patterns_;
  // Trigger words of the built-in patterns, by first (lower-case) byte; and whether a pattern
  // without triggers (a configured one) must run on every text.
  std::array<std::vector<std::string>, 256> triggers_by_first_;
  // Their first two (lower-case) bytes, one bit per pair: most positions of a text are ruled out
  // by one lookup (every trigger word has two bytes or more).
  std::array<std::uint64_t, 65536 / 64> trigger_pairs_{};
  bool untriggered_pattern_ = false;
  mutable std::shared_mutex literals_mu_;
  std::vector<std::string> literals_;
  std::atomic<bool> any_literals_{false};  // set once the first literal is in
};

}  // namespace toolgate
