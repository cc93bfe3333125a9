// Parsing of the policy's `identity` object: defaults, path resolution, and error texts.
#include "identity/identity_config.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

struct Parsed {
  IdentityConfig config;
  JsonErrors errors;
};

Parsed parse(const std::string& text) {
  Parsed p;
  auto doc = parse_json_text(text, "$", p.errors);
  if (!doc) return p;
  JsonObjectReader root(&doc->as_object(), "$", p.errors);
  JsonObjectReader identity = root.object("identity");
  p.config = parse_identity_config(identity, "/etc/toolgate");
  return p;
}

TEST(IdentityConfig, AnonymousTenantWithAControlCharacterIsAnError) {
  Parsed p = parse(R"({"identity": {"anonymous": {"tenant": "pub\u0007lic", "scopes": ["docs.read"]}}})");
  EXPECT_EQ(p.errors.joined(), "$.identity.anonymous.tenant: contains a control character (byte 7)");
}

TEST(IdentityConfig, DefaultsWhenAbsent) {
  Parsed p = parse("{}");
  EXPECT_TRUE(p.errors.empty()) << p.errors.joined();
  EXPECT_EQ(p.config.token_env, "TOOLGATE_TOKEN");
  EXPECT_EQ(p.config.keys_file, "");
  EXPECT_FALSE(p.config.jwt);
  EXPECT_FALSE(p.config.anonymous);
}

TEST(IdentityConfig, FullObjectWithRelativePathsResolvedAgainstPolicyDir) {
  Parsed p = parse(R"({"identity": {"tokenEnv": "MY_TOKEN", "keysFile": "keys/keys.json",
    "jwt": {"jwks": "../idp/jwks.json", "issuer": "https://idp", "audience": "toolgate", "leewaySeconds": 30,
            "tenantClaim": "org", "subjectClaim": "email", "defaultTenant": "acme"},
    "anonymous": {"tenant": "public", "scopes": ["docs.read"]}}})");
  ASSERT_TRUE(p.errors.empty()) << p.errors.joined();
  EXPECT_EQ(p.config.token_env, "MY_TOKEN");
  EXPECT_EQ(p.config.keys_file, "/etc/toolgate/keys/keys.json");
  ASSERT_TRUE(p.config.jwt);
  EXPECT_EQ(p.config.jwt->jwks_file, "/etc/idp/jwks.json");
  EXPECT_EQ(p.config.jwt->pem_file, "");
  EXPECT_EQ(p.config.jwt->leeway_seconds, 30);
  EXPECT_EQ(p.config.jwt->tenant_claim, "org");
  EXPECT_EQ(p.config.jwt->subject_claim, "email");
  EXPECT_EQ(p.config.jwt->default_tenant, "acme");
  ASSERT_TRUE(p.config.anonymous);
  EXPECT_EQ(p.config.anonymous->tenant, "public");
  EXPECT_EQ(p.config.anonymous->scopes, std::vector<std::string>{"docs.read"});
}

TEST(IdentityConfig, JwtDefaultsAndAbsolutePem) {
  Parsed p = parse(R"({"identity": {"jwt": {"pem": "/keys/idp.pem", "issuer": "i", "audience": "a"}}})");
  ASSERT_TRUE(p.errors.empty()) << p.errors.joined();
  EXPECT_EQ(p.config.jwt->pem_file, "/keys/idp.pem");
  EXPECT_EQ(p.config.jwt->leeway_seconds, 60);
  EXPECT_EQ(p.config.jwt->tenant_claim, "tenant");
  EXPECT_EQ(p.config.jwt->subject_claim, "sub");
  EXPECT_FALSE(p.config.jwt->default_tenant);
}

TEST(IdentityConfig, LeewayOutOfRangeNamesPath) {
  Parsed p = parse(R"({"identity": {"jwt": {"pem": "k.pem", "issuer": "i", "audience": "a", "leewaySeconds": 301}}})");
  ASSERT_EQ(p.errors.items().size(), 1u);
  EXPECT_EQ(p.errors.items()[0], "$.identity.jwt.leewaySeconds: expected an integer from 0 to 300, got 301");
}

TEST(IdentityConfig, JwtRequiresIssuerAudienceAndOneKeySource) {
  Parsed p = parse(R"({"identity": {"jwt": {}}})");
  EXPECT_EQ(p.errors.joined(),
            "$.identity.jwt: set jwks (a JWKS file) or pem (a PEM public key file)\n"
            "$.identity.jwt.issuer: is required\n"
            "$.identity.jwt.audience: is required");
  Parsed both = parse(R"({"identity": {"jwt": {"jwks": "a", "pem": "b", "issuer": "i", "audience": "a"}}})");
  EXPECT_EQ(both.errors.joined(), "$.identity.jwt: set either jwks or pem, not both");
}

TEST(IdentityConfig, UnknownFieldsAndWrongTypesAreErrors) {
  Parsed p = parse(R"({"identity": {"keyFile": "k.json", "tokenEnv": "1BAD",
                       "anonymous": {"scopes": "docs.read", "tenants": "x"}}})");
  EXPECT_EQ(p.errors.joined(),
            "$.identity.tokenEnv: expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)\n"
            "$.identity.anonymous.scopes: expected an array of strings\n"
            "$.identity.anonymous.tenants: unknown field\n"
            "$.identity.keyFile: unknown field");
}

TEST(IdentityConfig, EmptyStringsAreRejected) {
  Parsed p = parse(R"({"identity": {"keysFile": "", "jwt": {"pem": "k", "issuer": "", "audience": "a"}}})");
  EXPECT_EQ(p.errors.joined(), "$.identity.keysFile: must not be empty\n$.identity.jwt.issuer: must not be empty");
}

TEST(IdentityConfig, AnonymousExistsOnlyWithScopes) {
  EXPECT_FALSE(parse(R"({"identity": {"anonymous": {"tenant": "t"}}})").config.anonymous);
  EXPECT_FALSE(parse(R"({"identity": {"anonymous": {"scopes": []}}})").config.anonymous);
  auto p = parse(R"({"identity": {"anonymous": {"scopes": ["a"]}}})");
  ASSERT_TRUE(p.config.anonymous);
  EXPECT_EQ(p.config.anonymous->tenant, "anonymous");
}

}  // namespace
}  // namespace toolgate
