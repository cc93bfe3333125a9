// Verifies a compact JWS token (header.payload.signature) from an identity provider and turns
// its claims into a Principal.
//
// Verification is split in two so a long-lived process pays for the signature once: verify()
// does everything that cannot change while the token stays the same (segments, alg policy, key
// selection, signature, iss, aud, subject, tenant, scopes); check_time() re-checks exp/nbf
// against the clock on every call, so a token that expires mid-session fails on the next call.
// Refused outright: alg "none", HMAC algorithms (HS256/384/512: algorithm confusion with a
// public key), any alg the selected key is not for, and tokens with "crit" header parameters or
// without exp. Immutable after construction; verify() and check_time() are thread-safe.
#pragma once

#include "identity/identity_config.hpp"
#include "identity/jwks.hpp"
#include "identity/time_format.hpp"
#include "policy/principal.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

struct VerifiedJwt {
  Principal principal;           // credential_kind "jwt", credential_id = jti, else sub
  std::int64_t exp = 0;          // seconds since the epoch
  std::optional<std::int64_t> nbf;
};

struct JwtResult {
  bool ok = false;
  VerifiedJwt token;   // set when ok
  std::string reason;  // set when !ok; never contains the token
};

class JwtVerifier {
 public:
  JwtVerifier(JwtConfig config, KeySet keys);

  JwtResult verify(std::string_view token) const;
  // Empty when `token` is valid at `now` (with the configured leeway), else the reason.
  std::string check_time(const VerifiedJwt& token, SysTime now) const;
  // verify() then check_time().
  JwtResult verify_at(std::string_view token, SysTime now) const;

  const JwtConfig& config() const { return config_; }

 private:
  JwtConfig config_;
  KeySet keys_;
};

}  // namespace toolgate
