// JWT verification with keys and tokens minted in the test: each algorithm, every refusal, and
// the claims that become the Principal. All reasons are asserted verbatim.
#include "identity/jwt_verifier.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

namespace json = boost::json;
using namespace std::chrono;
using test::ec_key;
using test::ed_key;
using test::make_token;
using test::rsa_key;
using test::SigningKey;
using test::t0;
using test::t0_s;

JwtConfig config() {
  JwtConfig c;
  c.jwks_file = "/etc/toolgate/jwks.json";
  c.issuer = "https://idp.example";
  c.audience = "toolgate";
  return c;
}

// A key set holding the three test keys with kids "rsa", "ec", "ed".
KeySet test_keys() {
  json::array arr{rsa_key().jwk("rsa"), ec_key().jwk("ec"), ed_key().jwk("ed")};
  JsonErrors errors;
  auto set = parse_jwks(json::serialize(json::object{{"keys", arr}}), errors);
  if (!set) throw std::runtime_error(errors.joined());
  set->origin = "JWKS file /etc/toolgate/jwks.json";
  return *set;
}

json::object claims() {
  return {{"iss", "https://idp.example"}, {"aud", "toolgate"}, {"sub", "alice"},    {"tenant", "acme"},
          {"exp", t0_s() + 3600},         {"nbf", t0_s() - 60}, {"jti", "tok-1"}, {"scope", "dns.read dns.write"}};
}

json::object header(const std::string& alg, const std::string& kid = "") {
  json::object h{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) h["kid"] = kid;
  return h;
}

class JwtTest : public ::testing::Test {
 protected:
  JwtResult check(const std::string& token, SysTime now = t0()) const { return verifier_.verify_at(token, now); }
  std::string reason(const std::string& token, SysTime now = t0()) const {
    JwtResult r = check(token, now);
    EXPECT_FALSE(r.ok);
    return r.reason;
  }
  std::string signed_with(const SigningKey& key, const json::object& payload, const std::string& kid) const {
    return make_token(header(key.alg(), kid), payload, key);
  }

  JwtVerifier verifier_{config(), test_keys()};
};

TEST_F(JwtTest, GoodTokenForEachAlgorithm) {
  for (auto [key, kid] : {std::pair{&rsa_key(), "rsa"}, {&ec_key(), "ec"}, {&ed_key(), "ed"}}) {
    JwtResult r = check(signed_with(*key, claims(), kid));
    ASSERT_TRUE(r.ok) << key->alg() << ": " << r.reason;
    EXPECT_EQ(r.token.principal.subject, "alice");
    EXPECT_EQ(r.token.principal.tenant, "acme");
    EXPECT_EQ(r.token.principal.scopes, (std::vector<std::string>{"dns.read", "dns.write"}));
    EXPECT_EQ(r.token.principal.credential_kind, "jwt");
    EXPECT_EQ(r.token.principal.credential_id, "tok-1");
  }
}

TEST_F(JwtTest, KeysWithoutKidAreTriedByType) {
  for (const SigningKey* key : {&rsa_key(), &ec_key(), &ed_key()}) {
    JwtResult r = check(signed_with(*key, claims(), ""));
    EXPECT_TRUE(r.ok) << key->alg() << ": " << r.reason;
  }
}

TEST_F(JwtTest, PemKeyVerifiesTokensWithOrWithoutKid) {
  std::string error;
  auto set = parse_pem(ec_key().public_pem(), error);
  ASSERT_TRUE(set) << error;
  set->origin = "PEM file /k.pem";
  JwtVerifier v(config(), *set);
  EXPECT_TRUE(v.verify_at(signed_with(ec_key(), claims(), ""), t0()).ok);
  EXPECT_TRUE(v.verify_at(signed_with(ec_key(), claims(), "whatever-the-idp-calls-it"), t0()).ok);
  EXPECT_EQ(v.verify_at(signed_with(rsa_key(), claims(), ""), t0()).reason,
            "invalid JWT: PEM file /k.pem has no RSA key for alg RS256");
}

TEST_F(JwtTest, BadSignatureIsRefused) {
  SigningKey other("ES256");
  EXPECT_EQ(reason(signed_with(other, claims(), "ec")),
            "invalid JWT: the signature does not verify against JWKS file /etc/toolgate/jwks.json");
  // A valid signature over different claims does not carry over.
  std::string good = signed_with(rsa_key(), claims(), "rsa");
  json::object forged = claims();
  forged["tenant"] = "other";
  std::string tampered = test::b64json(header("RS256", "rsa")) + "." + test::b64json(forged) +
                         good.substr(good.rfind('.'));
  EXPECT_EQ(reason(tampered), "invalid JWT: the signature does not verify against JWKS file /etc/toolgate/jwks.json");
  // Ed25519 and ES256 signatures of the wrong length.
  for (auto [key, kid] : {std::pair{&ed_key(), "ed"}, {&ec_key(), "ec"}}) {
    std::string t = signed_with(*key, claims(), kid);
    std::string sig = *base64url_decode(t.substr(t.rfind('.') + 1));
    EXPECT_EQ(reason(t.substr(0, t.rfind('.') + 1) + base64url_encode(sig.substr(0, 60))),
              "invalid JWT: the signature does not verify against JWKS file /etc/toolgate/jwks.json");
  }
}

TEST_F(JwtTest, AlgNoneIsRefused) {
  std::string unsigned_token = test::b64json(header("none")) + "." + test::b64json(claims()) + ".";
  EXPECT_EQ(reason(unsigned_token), "invalid JWT: alg \"none\" (an unsigned token) is refused");
  std::string with_sig = test::b64json(header("None")) + "." + test::b64json(claims()) + ".AAAA";
  EXPECT_EQ(reason(with_sig), "invalid JWT: alg \"None\" (an unsigned token) is refused");
}

TEST_F(JwtTest, HmacWithThePublicKeyAsSecretIsRefused) {
  // The classic confusion attack: sign with HS256 using the bytes of the server's public key.
  for (const char* alg : {"HS256", "HS384", "HS512"}) {
    std::string token = test::hmac_token(header(alg, "rsa"), claims(), rsa_key().public_pem());
    EXPECT_EQ(reason(token), std::string("invalid JWT: alg \"") + alg +
                                 "\" is refused: HMAC algorithms are never accepted, since a public key must not act "
                                 "as a shared secret");
  }
}

TEST_F(JwtTest, UnsupportedAlgIsRefused) {
  EXPECT_EQ(reason(make_token(header("PS256", "rsa"), claims(), rsa_key())),
            "invalid JWT: alg \"PS256\" is not supported (accepted: RS256, ES256, EdDSA)");
  json::object no_alg{{"typ", "JWT"}};
  EXPECT_EQ(reason(make_token(no_alg, claims(), rsa_key())), "invalid JWT: the header has no alg");
}

TEST_F(JwtTest, AlgMustMatchTheKeyType) {
  // An ES256 header pointing at the RSA key, and an RS256 header pointing at the Ed25519 key.
  EXPECT_EQ(reason(make_token(header("ES256", "rsa"), claims(), ec_key())),
            "invalid JWT: key \"rsa\" is an RSA key but the token's alg is ES256");
  EXPECT_EQ(reason(make_token(header("RS256", "ed"), claims(), rsa_key())),
            "invalid JWT: key \"ed\" is an Ed25519 key but the token's alg is RS256");
}

TEST_F(JwtTest, JwkAlgRestrictsTheKey) {
  json::object jwk = ec_key().jwk("ec");
  jwk["alg"] = "ES384";
  JsonErrors errors;
  auto set = parse_jwks(json::serialize(json::object{{"keys", json::array{jwk}}}), errors);
  ASSERT_TRUE(set) << errors.joined();
  JwtVerifier v(config(), *set);
  EXPECT_EQ(v.verify_at(signed_with(ec_key(), claims(), "ec"), t0()).reason,
            "invalid JWT: key \"ec\" may only be used with alg ES384, not ES256");
}

TEST_F(JwtTest, KidSelectsTheKey) {
  EXPECT_EQ(reason(signed_with(rsa_key(), claims(), "rotated-away")),
            "invalid JWT: no key with kid \"rotated-away\" in JWKS file /etc/toolgate/jwks.json");
  // Two RSA keys: the kid decides which one is used.
  SigningKey second("RS256");
  json::array arr{rsa_key().jwk("old"), second.jwk("new")};
  JsonErrors errors;
  auto set = parse_jwks(json::serialize(json::object{{"keys", arr}}), errors);
  ASSERT_TRUE(set) << errors.joined();
  set->origin = "JWKS file j";
  JwtVerifier v(config(), *set);
  EXPECT_TRUE(v.verify_at(signed_with(second, claims(), "new"), t0()).ok);
  EXPECT_EQ(v.verify_at(signed_with(second, claims(), "old"), t0()).reason,
            "invalid JWT: the signature does not verify against JWKS file j");
  EXPECT_TRUE(v.verify_at(signed_with(second, claims(), ""), t0()).ok);  // no kid: each RSA key is tried
}

TEST_F(JwtTest, ExpiredNotYetValidAndLeeway) {
  json::object c = claims();
  c["exp"] = t0_s() - 61;
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "JWT expired at 2027-01-15T07:58:59Z (leeway 60s)");
  c["exp"] = t0_s() - 59;  // expired, but within the leeway
  EXPECT_TRUE(check(signed_with(ed_key(), c, "ed")).ok);

  c = claims();
  c["nbf"] = t0_s() + 61;
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "JWT is not valid before 2027-01-15T08:01:01Z (leeway 60s)");
  c["nbf"] = t0_s() + 59;
  EXPECT_TRUE(check(signed_with(ed_key(), c, "ed")).ok);

  c = claims();
  c["exp"] = static_cast<double>(t0_s()) + 0.5;  // fractional NumericDate
  EXPECT_TRUE(check(signed_with(ed_key(), c, "ed")).ok);
}

TEST_F(JwtTest, ZeroLeewayIsExact) {
  JwtConfig cfg = config();
  cfg.leeway_seconds = 0;
  JwtVerifier v(cfg, test_keys());
  json::object c = claims();
  c["exp"] = t0_s() + 1;
  std::string token = signed_with(rsa_key(), c, "rsa");
  EXPECT_TRUE(v.verify_at(token, t0()).ok);
  EXPECT_EQ(v.verify_at(token, t0() + seconds(1)).reason, "JWT expired at 2027-01-15T08:00:01Z (leeway 0s)");
}

TEST_F(JwtTest, TokenExpiringMidSessionFailsOnNextCheck) {
  json::object c = claims();
  c["exp"] = t0_s() + 600;
  JwtResult once = verifier_.verify(signed_with(rsa_key(), c, "rsa"));
  ASSERT_TRUE(once.ok) << once.reason;
  EXPECT_EQ(verifier_.check_time(once.token, t0() + seconds(600 + 59)), "");
  EXPECT_EQ(verifier_.check_time(once.token, t0() + seconds(600 + 60)), "JWT expired at 2027-01-15T08:10:00Z (leeway 60s)");
}

TEST_F(JwtTest, ExpIsRequiredAndTimeClaimsMustBeNumbers) {
  json::object c = claims();
  c.erase("exp");
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: no exp claim; tokens that never expire are not accepted");
  c = claims();
  c["nbf"] = "yesterday";
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")),
            "invalid JWT: the nbf claim is not a NumericDate (seconds since 1970)");
}

TEST_F(JwtTest, WrongIssuerIsRefused) {
  json::object c = claims();
  c["iss"] = "https://evil.example";
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")),
            "invalid JWT: issuer \"https://evil.example\" is not the configured issuer \"https://idp.example\"");
  c["iss"] = "https://idp.example/";  // exact match only
  EXPECT_FALSE(check(signed_with(ed_key(), c, "ed")).ok);
  c.erase("iss");
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: no iss claim (expected \"https://idp.example\")");
}

TEST_F(JwtTest, AudienceStringOrArray) {
  json::object c = claims();
  c["aud"] = json::array{"other", "toolgate"};
  EXPECT_TRUE(check(signed_with(ed_key(), c, "ed")).ok);
  c["aud"] = "other";
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: audience \"other\" does not include \"toolgate\"");
  c["aud"] = json::array{"a", "b"};
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: audience [\"a\",\"b\"] does not include \"toolgate\"");
  c.erase("aud");
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: no aud claim (expected \"toolgate\")");
}

TEST_F(JwtTest, MalformedSegments) {
  std::string good = signed_with(ed_key(), claims(), "ed");
  EXPECT_EQ(reason(good.substr(0, good.rfind('.'))),
            "malformed JWT: expected 3 dot-separated segments (header.payload.signature), got 2");
  EXPECT_EQ(reason(good + ".x.y"), "malformed JWT: expected 3 dot-separated segments (header.payload.signature), got 5");
  EXPECT_EQ(reason("e30=." + good.substr(good.find('.') + 1)), "malformed JWT: the header segment is not valid base64url");
  EXPECT_EQ(reason(base64url_encode("not json") + good.substr(good.find('.'))),
            "malformed JWT: the header is not a JSON object");
  EXPECT_EQ(reason(base64url_encode("[1]") + good.substr(good.find('.'))), "malformed JWT: the header is not a JSON object");
  std::string h = good.substr(0, good.find('.'));
  EXPECT_EQ(reason(h + ".***." + good.substr(good.rfind('.') + 1)),
            "malformed JWT: the payload segment is not valid base64url");
  EXPECT_EQ(reason(h + "." + base64url_encode("{") + "." + good.substr(good.rfind('.') + 1)),
            "malformed JWT: the payload is not a JSON object");
  EXPECT_EQ(reason(good.substr(0, good.rfind('.')) + ".$$"), "malformed JWT: the signature segment is not valid base64url");
  EXPECT_EQ(reason(good.substr(0, good.rfind('.') + 1)), "invalid JWT: the signature is empty");
  EXPECT_EQ(reason(".."), "malformed JWT: the header is not a JSON object");
}

TEST_F(JwtTest, CriticalHeaderExtensionsAreRefused) {
  json::object h = header("EdDSA", "ed");
  h["crit"] = json::array{"exp"};
  EXPECT_EQ(reason(make_token(h, claims(), ed_key())),
            "invalid JWT: the header lists critical extensions (crit) that toolgate does not implement");
}

TEST_F(JwtTest, ScopesFromScopeScpAndPermissions) {
  json::object c = claims();
  c.erase("scope");
  c["scp"] = json::array{"a.read", "b.write"};
  EXPECT_EQ(check(signed_with(ed_key(), c, "ed")).token.principal.scopes, (std::vector<std::string>{"a.read", "b.write"}));
  c["scp"] = "x.read  y.read";  // Azure sends scp as a space-separated string
  EXPECT_EQ(check(signed_with(ed_key(), c, "ed")).token.principal.scopes, (std::vector<std::string>{"x.read", "y.read"}));
  c.erase("scp");
  c["permissions"] = json::array{"p.read"};
  c["scope"] = "p.read q.read";
  EXPECT_EQ(check(signed_with(ed_key(), c, "ed")).token.principal.scopes, (std::vector<std::string>{"p.read", "q.read"}));
  c.erase("scope");
  c.erase("permissions");
  JwtResult none = check(signed_with(ed_key(), c, "ed"));
  ASSERT_TRUE(none.ok) << none.reason;
  EXPECT_TRUE(none.token.principal.scopes.empty());
  c["permissions"] = "p.read";
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: the permissions claim must be an array of strings");
  c.erase("permissions");
  c["scope"] = json::array{1};
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")),
            "invalid JWT: the scope claim must be a space-separated string or an array of strings");
}

TEST_F(JwtTest, TenantClaimMissingOrDefaulted) {
  json::object c = claims();
  c.erase("tenant");
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")),
            "invalid JWT: no \"tenant\" claim (identity.jwt.tenantClaim) and identity.jwt.defaultTenant is not set");
  JwtConfig cfg = config();
  cfg.default_tenant = "fallback";
  JwtVerifier v(cfg, test_keys());
  EXPECT_EQ(v.verify_at(signed_with(ed_key(), c, "ed"), t0()).token.principal.tenant, "fallback");
  c["tenant"] = 7;
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: the \"tenant\" claim must be a non-empty string");
}

TEST_F(JwtTest, ControlCharactersInTenantOrSubjectAreRefused) {
  // "globex\0evil" would miss every rule for tenant globex, yet a plugin reading it as a C string
  // would see "globex": one name, two meanings.
  json::object c = claims();
  c["tenant"] = std::string("globex\0evil", 11);
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: the \"tenant\" claim contains a control character (byte 0)");
  c = claims();
  c["sub"] = "alice\nadmin";
  EXPECT_EQ(reason(signed_with(ed_key(), c, "ed")), "invalid JWT: the \"sub\" claim contains a control character (byte 10)");
  c = claims();
  c["tenant"] = "acme \u00e9quipe";  // spaces and non-ASCII letters are names like any other
  EXPECT_TRUE(verifier_.verify_at(signed_with(ed_key(), c, "ed"), t0()).ok);
}

TEST_F(JwtTest, ConfigurableTenantAndSubjectClaims) {
  JwtConfig cfg = config();
  cfg.tenant_claim = "https://example.com/org";
  cfg.subject_claim = "email";
  JwtVerifier v(cfg, test_keys());
  json::object c = claims();
  c.erase("jti");
  c["https://example.com/org"] = "globex";
  c["email"] = "alice@globex.example";
  JwtResult r = v.verify_at(signed_with(rsa_key(), c, "rsa"), t0());
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.token.principal.tenant, "globex");
  EXPECT_EQ(r.token.principal.subject, "alice@globex.example");
  EXPECT_EQ(r.token.principal.credential_id, "alice");  // no jti: falls back to sub
  c.erase("email");
  EXPECT_EQ(v.verify_at(signed_with(rsa_key(), c, "rsa"), t0()).reason,
            "invalid JWT: no \"email\" claim (identity.jwt.subjectClaim) naming the subject");
}

TEST_F(JwtTest, ReasonsNeverContainTheToken) {
  std::string token = signed_with(SigningKey("EdDSA"), claims(), "ed");
  std::string r = reason(token);
  EXPECT_EQ(r.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(r.find(token.substr(0, token.find('.'))), std::string::npos);
}

}  // namespace
}  // namespace toolgate
