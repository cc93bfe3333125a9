// Authenticator: credential kind detection, the no-credential message, anonymous access, API keys
// and JWTs end to end, fail-closed setup, and validate() for start-up / `toolgate check`.
#include "identity/api_keys.hpp"
#include "identity/authenticator.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace toolgate {
namespace {

namespace json = boost::json;
using namespace std::chrono;
using test::t0;
using test::t0_s;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_path_ = dir_.file("keys.json");
    jwks_path_ = dir_.file("jwks.json");
    key_ = generate_api_key();
    ApiKeyRecord rec{key_.id, key_.hash, "svc-backup", "acme", {"backup.run"}, t0(), std::nullopt, false};
    keys_.keys.push_back(rec);
    save_keys();
    test::write_file(jwks_path_, json::serialize(json::object{{"keys", json::array{test::ed_key().jwk("ed")}}}));
  }
  void save_keys() {
    std::string error;
    ASSERT_TRUE(save_keys_file(keys_path_, keys_, error)) << error;
  }
  IdentityConfig config() const {
    IdentityConfig c;
    c.keys_file = keys_path_;
    JwtConfig j;
    j.jwks_file = jwks_path_;
    j.issuer = "https://idp.example";
    j.audience = "toolgate";
    c.jwt = j;
    return c;
  }
  std::string jwt(std::int64_t exp) const {
    json::object claims{{"iss", "https://idp.example"}, {"aud", "toolgate"}, {"sub", "alice"},
                        {"tenant", "acme"}, {"exp", exp}, {"scope", "dns.read"}};
    return test::make_token({{"alg", "EdDSA"}, {"kid", "ed"}}, claims, test::ed_key());
  }

  test::TempDir dir_;
  std::string keys_path_, jwks_path_;
  KeysFile keys_;
  NewApiKey key_;
};

TEST(CredentialSecrets, EveryPieceTheCredentialCouldBeRebuiltFrom) {
  EXPECT_EQ(credential_secrets("  \n"), std::vector<std::string>{});
  const std::string key = "tgk_0123456789ab_" + std::string(64, 'c');
  EXPECT_EQ(credential_secrets(key + "\n"), (std::vector<std::string>{key, std::string(64, 'c')}));
  EXPECT_EQ(credential_secrets("eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"),
            (std::vector<std::string>{"eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "c2lnbmF0dXJl"}));
}

TEST_F(AuthenticatorTest, NoCredentialSaysHowToSupplyOne) {
  Authenticator a(config(), "");
  AuthResult r = a.authenticate(t0());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason,
            "no credential: set TOOLGATE_TOKEN (the variable named by identity.tokenEnv) in the environment the "
            "client launches toolgate with");
  EXPECT_STREQ(a.credential_kind(), "none");

  IdentityConfig custom = config();
  custom.token_env = "ACME_TOOLGATE_KEY";
  EXPECT_EQ(Authenticator(custom, "  \n").authenticate(t0()).reason,
            "no credential: set ACME_TOOLGATE_KEY (the variable named by identity.tokenEnv) in the environment the "
            "client launches toolgate with");
}

TEST_F(AuthenticatorTest, AnonymousWhenConfiguredWithScopes) {
  IdentityConfig c = config();
  c.anonymous = AnonymousConfig{"public", {"docs.read"}};
  AuthResult r = Authenticator(c, "").authenticate(t0());
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.principal.subject, "anonymous");
  EXPECT_EQ(r.principal.tenant, "public");
  EXPECT_EQ(r.principal.scopes, std::vector<std::string>{"docs.read"});
  EXPECT_EQ(r.principal.credential_kind, "anonymous");
}

TEST_F(AuthenticatorTest, BadCredentialNeverFallsBackToAnonymous) {
  IdentityConfig c = config();
  c.anonymous = AnonymousConfig{"public", {"docs.read"}};
  std::string wrong = "tgk_" + key_.id + "_" + std::string(64, 'f');
  AuthResult r = Authenticator(c, wrong).authenticate(t0());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason, "invalid API key: the secret does not match key " + key_.id);
}

TEST_F(AuthenticatorTest, ApiKeyAndRevocationOnNextCall) {
  Authenticator a(config(), key_.key + "\n");  // a trailing newline from `$(cat key)` is tolerated
  EXPECT_STREQ(a.credential_kind(), "api_key");
  AuthResult r = a.authenticate(t0());
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.principal.subject, "svc-backup");
  EXPECT_EQ(r.principal.credential_id, key_.id);
  keys_.keys[0].disabled = true;
  save_keys();
  EXPECT_EQ(a.authenticate(t0()).reason, "API key " + key_.id + " has been revoked");
}

TEST_F(AuthenticatorTest, JwtVerifiedOnceAndExpiresMidSession) {
  Authenticator a(config(), jwt(t0_s() + 300));
  EXPECT_STREQ(a.credential_kind(), "jwt");
  AuthResult r = a.authenticate(t0());
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.principal.subject, "alice");
  EXPECT_EQ(r.principal.scopes, std::vector<std::string>{"dns.read"});
  EXPECT_EQ(r.principal.credential_id, "alice");
  // Removing the JWKS after start-up changes nothing: the signature was verified once.
  std::filesystem::remove(jwks_path_);
  EXPECT_TRUE(a.authenticate(t0() + seconds(359)).ok);
  EXPECT_EQ(a.authenticate(t0() + seconds(360)).reason, "JWT expired at 2027-01-15T08:05:00Z (leeway 60s)");
}

TEST_F(AuthenticatorTest, MalformedJwtIsReportedPerCall) {
  std::string token = jwt(t0_s() + 300);
  Authenticator a(config(), token.substr(0, token.rfind('.')));
  EXPECT_EQ(a.authenticate(t0()).reason,
            "malformed JWT: expected 3 dot-separated segments (header.payload.signature), got 2");
}

TEST_F(AuthenticatorTest, CredentialKindWithoutMatchingSourceFailsClosed) {
  IdentityConfig no_keys = config();
  no_keys.keys_file.clear();
  EXPECT_EQ(Authenticator(no_keys, key_.key).authenticate(t0()).reason,
            "an API key was supplied in TOOLGATE_TOKEN but identity.keysFile is not configured");
  IdentityConfig no_jwt = config();
  no_jwt.jwt.reset();
  EXPECT_EQ(Authenticator(no_jwt, jwt(t0_s() + 300)).authenticate(t0()).reason,
            "a JWT was supplied in TOOLGATE_TOKEN but identity.jwt is not configured");
  Authenticator odd(config(), "hunter2");
  EXPECT_STREQ(odd.credential_kind(), "unrecognized");
  AuthResult r = odd.authenticate(t0());
  EXPECT_EQ(r.reason,
            "unrecognized credential in TOOLGATE_TOKEN: expected an API key (tgk_...) or a JWT (header.payload.signature)");
  EXPECT_EQ(r.reason.find("hunter2"), std::string::npos);
}

TEST_F(AuthenticatorTest, UnreadableJwksFailsEveryCall) {
  std::filesystem::remove(jwks_path_);
  Authenticator a(config(), jwt(t0_s() + 300));
  EXPECT_EQ(a.authenticate(t0()).reason,
            "cannot verify the JWT: JWKS file " + jwks_path_ + ": cannot read file: No such file or directory");
}

TEST_F(AuthenticatorTest, ConcurrentCallsFromWorkerThreads) {
  Authenticator api(config(), key_.key);
  Authenticator tok(config(), jwt(t0_s() + 300));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) ok += (api.authenticate(t0()).ok ? 1 : 0) + (tok.authenticate(t0()).ok ? 1 : 0);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST_F(AuthenticatorTest, ValidateAcceptsAGoodConfig) {
  JsonErrors errors;
  EXPECT_TRUE(Authenticator::validate(config(), errors)) << errors.joined();
  IdentityConfig anon_only;
  anon_only.anonymous = AnonymousConfig{"public", {"docs.read"}};
  EXPECT_TRUE(Authenticator::validate(anon_only, errors)) << errors.joined();
}

TEST_F(AuthenticatorTest, ValidateRefusesNoIdentitySource) {
  JsonErrors errors;
  EXPECT_FALSE(Authenticator::validate(IdentityConfig{}, errors));
  EXPECT_EQ(errors.joined(),
            "$.identity: no credential source configured (set identity.keysFile, identity.jwt or identity.anonymous)");
}

TEST_F(AuthenticatorTest, ValidateReportsBadKeysFileAndJwks) {
  test::write_file(keys_path_, R"({"version": 1, "keys": [], "admin": true})");
  test::write_file(jwks_path_, R"({"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]})");
  JsonErrors errors;
  EXPECT_FALSE(Authenticator::validate(config(), errors));
  EXPECT_EQ(errors.joined(), "keys file " + keys_path_ + ": $.admin: unknown field\n" + "JWKS file " + jwks_path_ +
                                 ": $.keys[0].n: not valid base64url");
}

TEST_F(AuthenticatorTest, ValidateReportsMissingPem) {
  IdentityConfig c = config();
  c.keys_file.clear();
  c.jwt->jwks_file.clear();
  c.jwt->pem_file = dir_.file("idp.pem");
  JsonErrors errors;
  EXPECT_FALSE(Authenticator::validate(c, errors));
  EXPECT_EQ(errors.joined(), "PEM file " + dir_.file("idp.pem") + ": cannot read file: No such file or directory");
}

}  // namespace
}  // namespace toolgate
