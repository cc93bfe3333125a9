#include "identity/jwt_verifier.hpp"
#include "policy/principal.hpp"

#include "identity/base64url.hpp"
#include "identity/jws_signature.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

namespace toolgate {

namespace json = boost::json;

namespace {

struct Segments {
  std::string_view header, payload, signature;
};

JwtResult fail(std::string reason) {
  JwtResult r;
  r.reason = std::move(reason);
  return r;
}

// Token-supplied text goes into reasons JSON-quoted (no raw control characters) and capped, so a
// hostile token cannot flood logs or forge extra lines.
std::string json_quoted(std::string_view s) {
  constexpr std::size_t kMax = 120;
  std::string out = json::serialize(json::value(json::string(s.substr(0, kMax))));
  return s.size() > kMax ? out + "..." : out;
}

std::string capped(std::string s) {
  constexpr std::size_t kMax = 200;
  if (s.size() > kMax) s = s.substr(0, kMax) + "...";
  return s;
}

// Decodes one base64url segment holding a JSON object; on failure sets `why`.
std::optional<json::object> decode_object(std::string_view seg, const char* name, std::string& why) {
  auto raw = base64url_decode(seg);
  if (!raw) {
    why = std::string("malformed JWT: the ") + name + " segment is not valid base64url";
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) {
    why = std::string("malformed JWT: the ") + name + " is not a JSON object";
    return std::nullopt;
  }
  return std::move(v.get_object());
}

std::optional<std::string> string_claim(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

// NumericDate (RFC 7519): seconds since the epoch, possibly fractional; fractions are floored.
// The range is what a nanosecond system_clock can hold (years 1677 to 2262), so formatting the
// date in an error message cannot overflow.
bool numeric_date(const json::object& o, std::string_view key, std::optional<std::int64_t>& out, std::string& why) {
  auto it = o.find(key);
  if (it == o.end()) return true;
  const json::value& v = it->value();
  double d = v.is_number() ? v.to_number<double>() : NAN;
  if (!std::isfinite(d) || d < -9.2e9 || d > 9.2e9) {
    why = "invalid JWT: the " + std::string(key) + " claim is not a NumericDate (seconds since 1970)";
    return false;
  }
  out = static_cast<std::int64_t>(std::floor(d));
  return true;
}

void add_unique(std::vector<std::string>& out, std::string s) {
  if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
}

void add_space_separated(std::vector<std::string>& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    add_unique(out, std::string(s.substr(i, j - i)));
    i = j + 1;
  }
}

// Scopes from `scope` (space-separated string, RFC 8693), `scp` (string or array, as Azure and
// Okta send it) and `permissions` (array, as Auth0 sends it); the union of all that are present.
bool read_scopes(const json::object& claims, std::vector<std::string>& out, std::string& why) {
  for (const char* name : {"scope", "scp", "permissions"}) {
    auto it = claims.find(name);
    if (it == claims.end()) continue;
    const json::value& v = it->value();
    bool string_ok = std::string_view(name) != "permissions";
    if (v.is_string() && string_ok) {
      add_space_separated(out, v.get_string());
      continue;
    }
    bool ok = v.is_array();
    if (ok)
      for (const auto& e : v.get_array()) ok = ok && e.is_string();
    if (!ok) {
      why = std::string("invalid JWT: the ") + name + " claim must be " +
            (string_ok ? "a space-separated string or an array of strings" : "an array of strings");
      return false;
    }
    for (const auto& e : v.get_array()) add_unique(out, std::string(e.get_string()));
  }
  return true;
}

bool audience_matches(const json::value& aud, const std::string& want) {
  if (aud.is_string()) return aud.get_string() == want;
  if (!aud.is_array()) return false;
  for (const auto& e : aud.get_array())
    if (e.is_string() && e.get_string() == want) return true;
  return false;
}

}  // namespace

JwtVerifier::JwtVerifier(JwtConfig config, KeySet keys) : config_(std::move(config)), keys_(std::move(keys)) {}

JwtResult JwtVerifier::verify(std::string_view token) const {
  // --- segments ---
  Segments seg;
  std::size_t dots = std::count(token.begin(), token.end(), '.');
  if (dots != 2)
    return fail("malformed JWT: expected 3 dot-separated segments (header.payload.signature), got " +
                std::to_string(dots + 1));
  std::size_t a = token.find('.'), b = token.find('.', a + 1);
  seg.header = token.substr(0, a);
  seg.payload = token.substr(a + 1, b - a - 1);
  seg.signature = token.substr(b + 1);
  std::string why;
  auto header = decode_object(seg.header, "header", why);
  if (!header) return fail(why);
  auto claims = decode_object(seg.payload, "payload", why);
  if (!claims) return fail(why);
  auto signature = base64url_decode(seg.signature);
  if (!signature) return fail("malformed JWT: the signature segment is not valid base64url");

  // --- algorithm policy ---
  auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->value().is_string())
    return fail("invalid JWT: the header has no alg");
  std::string alg_name(alg_it->value().get_string());
  std::string lower = alg_name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "none") return fail("invalid JWT: alg " + json_quoted(alg_name) + " (an unsigned token) is refused");
  if (lower.rfind("hs", 0) == 0)
    return fail("invalid JWT: alg " + json_quoted(alg_name) +
                " is refused: HMAC algorithms are never accepted, since a public key must not act as a shared secret");
  auto alg = parse_jws_alg(alg_name);
  if (!alg) return fail("invalid JWT: alg " + json_quoted(alg_name) + " is not supported (accepted: RS256, ES256, EdDSA)");
  if (header->contains("crit"))
    return fail("invalid JWT: the header lists critical extensions (crit) that toolgate does not implement");
  if (signature->empty()) return fail("invalid JWT: the signature is empty");

  // --- key selection: by kid when the token names one, else every key of the alg's type ---
  std::optional<std::string> kid;
  if (auto it = header->find("kid"); it != header->end()) {
    if (!it->value().is_string()) return fail("invalid JWT: the header's kid is not a string");
    kid = std::string(it->value().get_string());
  }
  // A kid-less key (a PEM file, a one-key JWKS) serves any token; a named key only its own kid.
  std::vector<const VerificationKey*> candidates;
  for (const auto& k : keys_.keys)
    if (!kid || k.kid == *kid) candidates.push_back(&k);
  if (kid && candidates.empty())
    for (const auto& k : keys_.keys)
      if (k.kid.empty()) candidates.push_back(&k);
  if (candidates.empty()) return fail("invalid JWT: no key with kid " + json_quoted(*kid) + " in " + keys_.origin);
  const KeyKind want = key_kind_for(*alg);
  std::vector<const VerificationKey*> usable;
  for (const auto* k : candidates)
    if (k->kind == want && (k->alg.empty() || k->alg == alg_name)) usable.push_back(k);
  if (usable.empty()) {
    const VerificationKey& k = *candidates.front();
    if (!kid)
      return fail("invalid JWT: " + keys_.origin + " has no " + key_kind_name(want) + " key for alg " + alg_name);
    if (k.kind != want)
      return fail("invalid JWT: key " + json_quoted(*kid) + " is an " + key_kind_name(k.kind) +
                  " key but the token's alg is " + alg_name);
    return fail("invalid JWT: key " + json_quoted(*kid) + " may only be used with alg " + k.alg + ", not " + alg_name);
  }
  std::string_view signing_input = token.substr(0, b);
  bool verified = false;
  for (const auto* k : usable)
    if ((verified = verify_jws_signature(*alg, k->pkey.get(), signing_input, *signature))) break;
  if (!verified) return fail("invalid JWT: the signature does not verify against " + keys_.origin);

  // --- claims that do not depend on the clock ---
  auto iss = string_claim(*claims, "iss");
  if (!iss) return fail("invalid JWT: no iss claim (expected " + json_quoted(config_.issuer) + ")");
  if (*iss != config_.issuer)
    return fail("invalid JWT: issuer " + json_quoted(*iss) + " is not the configured issuer " + json_quoted(config_.issuer));
  auto aud_it = claims->find("aud");
  if (aud_it == claims->end()) return fail("invalid JWT: no aud claim (expected " + json_quoted(config_.audience) + ")");
  if (!audience_matches(aud_it->value(), config_.audience))
    return fail("invalid JWT: audience " + capped(json::serialize(aud_it->value())) + " does not include " +
                json_quoted(config_.audience));

  JwtResult out;
  VerifiedJwt& t = out.token;
  std::optional<std::int64_t> exp;
  if (!numeric_date(*claims, "exp", exp, why) || !numeric_date(*claims, "nbf", t.nbf, why)) return fail(why);
  if (!exp) return fail("invalid JWT: no exp claim; tokens that never expire are not accepted");
  t.exp = *exp;

  auto subject = string_claim(*claims, config_.subject_claim);
  if (!subject || subject->empty())
    return fail("invalid JWT: no " + json_quoted(config_.subject_claim) + " claim (identity.jwt.subjectClaim) naming the subject");
  auto tenant_it = claims->find(config_.tenant_claim);
  if (tenant_it != claims->end()) {
    if (!tenant_it->value().is_string() || tenant_it->value().get_string().empty())
      return fail("invalid JWT: the " + json_quoted(config_.tenant_claim) + " claim must be a non-empty string");
    t.principal.tenant = std::string(tenant_it->value().get_string());
  } else if (config_.default_tenant) {
    t.principal.tenant = *config_.default_tenant;
  } else {
    return fail("invalid JWT: no " + json_quoted(config_.tenant_claim) +
                " claim (identity.jwt.tenantClaim) and identity.jwt.defaultTenant is not set");
  }
  // Names that read differently in different places (principal_name_problem) are refused.
  for (const auto& [claim, value] : {std::pair{&config_.subject_claim, &*subject},
                                     std::pair{&config_.tenant_claim, &t.principal.tenant}})
    if (auto problem = principal_name_problem(*value))
      return fail("invalid JWT: the " + json_quoted(*claim) + " claim " + *problem);
  if (!read_scopes(*claims, t.principal.scopes, why)) return fail(why);
  t.principal.subject = *subject;
  t.principal.credential_kind = "jwt";
  t.principal.credential_id = string_claim(*claims, "jti").value_or(string_claim(*claims, "sub").value_or(*subject));
  out.ok = true;
  return out;
}

std::string JwtVerifier::check_time(const VerifiedJwt& token, SysTime now) const {
  using namespace std::chrono;
  const std::int64_t now_s = duration_cast<seconds>(now.time_since_epoch()).count();
  const std::int64_t leeway = config_.leeway_seconds;
  auto when = [](std::int64_t s) { return format_rfc3339(SysTime(seconds(s))); };
  if (now_s - leeway >= token.exp)
    return "JWT expired at " + when(token.exp) + " (leeway " + std::to_string(leeway) + "s)";
  if (token.nbf && now_s + leeway < *token.nbf)
    return "JWT is not valid before " + when(*token.nbf) + " (leeway " + std::to_string(leeway) + "s)";
  return {};
}

JwtResult JwtVerifier::verify_at(std::string_view token, SysTime now) const {
  JwtResult r = verify(token);
  if (r.ok) {
    std::string why = check_time(r.token, now);
    if (!why.empty()) return fail(why);
  }
  return r;
}

}  // namespace toolgate
