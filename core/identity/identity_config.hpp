// The policy file's `identity` object: where the caller's credential comes from and how it is
// checked. Parsed once at start-up (and by `toolgate check`) into a plain value that the
// Authenticator and `keys` CLI consume; copy freely across threads.
//
//   "identity": {
//     "tokenEnv": "TOOLGATE_TOKEN",
//     "keysFile": "keys.json",
//     "jwt": { "jwks": "idp-jwks.json" | "pem": "idp.pem", "issuer": "...", "audience": "...",
//              "leewaySeconds": 60, "tenantClaim": "tenant", "subjectClaim": "sub",
//              "defaultTenant": "acme" },
//     "anonymous": { "tenant": "anonymous", "scopes": ["docs.read"] }
//   }
#pragma once

#include "util/json_reader.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace toolgate {

struct JwtConfig {
  std::string jwks_file;  // absolute path; exactly one of jwks_file / pem_file is set
  std::string pem_file;
  std::string issuer;     // compared exactly with `iss`
  std::string audience;   // must equal `aud` or be one of its entries
  int leeway_seconds = 60;
  std::string tenant_claim = "tenant";
  std::string subject_claim = "sub";
  std::optional<std::string> default_tenant;  // used when the token lacks the tenant claim
};

struct AnonymousConfig {
  std::string tenant = "anonymous";
  std::vector<std::string> scopes;  // never empty: without grants there is no anonymous principal
};

struct IdentityConfig {
  std::string token_env = "TOOLGATE_TOKEN";
  std::string keys_file;  // absolute path, empty when API keys are not used
  std::optional<JwtConfig> jwt;
  std::optional<AnonymousConfig> anonymous;  // set only when the policy grants it scopes
};

// Reads the `identity` object (the reader may be absent: every default applies). Relative paths
// resolve against `base_dir`, the policy file's directory. Problems go to r.errors() naming the
// JSONPath; unknown fields are rejected (finish() is called on `r` and every nested object).
// Whether any credential source is configured at all is checked by Authenticator::validate.
IdentityConfig parse_identity_config(JsonObjectReader& r, const std::filesystem::path& base_dir);

}  // namespace toolgate
