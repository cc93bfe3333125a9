// Turns the caller's credential into a Principal, once per call.
//
// The app reads the credential from the environment once at start-up (the variable named by
// identity.tokenEnv) and hands it over here; nothing else ever sees it, and it is never logged or
// put into a reason. The kind is told by its shape: "tgk_..." is an API key, anything with a dot
// is a JWT, and an empty credential means anonymous (only when the policy grants anonymous
// scopes). A credential that is present but bad never falls back to anonymous.
//
// authenticate() is re-evaluated per call and is cheap: a JWT's signature and static claims are
// verified once at construction and only exp/nbf are re-checked; an API key costs one stat of the
// keys file (re-read when it changed) and one SHA-256. So revocation, key-file edits and token
// expiry bite on the next call. Construction never throws and fails closed: a keys file or JWKS
// that cannot be loaded makes every call fail with the reason. validate() reports the same
// problems up front for start-up and `toolgate check`.
//
// Thread-safe: authenticate() may run concurrently on worker threads. Lives for the process.
#pragma once

#include "identity/identity_config.hpp"
#include "identity/jwt_verifier.hpp"
#include "identity/key_store.hpp"
#include "policy/principal.hpp"
#include "util/json_reader.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace toolgate {

struct AuthResult {
  bool ok = false;
  Principal principal;  // set when ok
  std::string reason;   // set when !ok: a sentence for the caller, never containing the credential
};

// The credential as the Authenticator uses it: surrounding whitespace (a newline from a file or
// a shell) removed. Whatever must recognise the credential (redaction) takes it in this form.
std::string normalise_credential(std::string credential);

// Every string that must be scrubbed wherever it appears for `credential` not to leak: the
// normalised credential; an API key's secret half (its id is public, so the secret alone is as
// good as the key); a JWT's signature (pasted in two pieces, the token could be put together
// again). Empty for no credential.
std::vector<std::string> credential_secrets(const std::string& credential);

class Authenticator {
 public:
  Authenticator(IdentityConfig config, std::string credential);
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  AuthResult authenticate(SysTime now) const;

  // "api_key", "jwt", "none" or "unrecognized": what kind of credential was supplied (safe to log).
  const char* credential_kind() const;

  // Checks that some credential source is configured and that the keys file and JWKS/PEM load.
  // Adds errors naming the file and problem; returns true when none were added.
  static bool validate(const IdentityConfig& config, JsonErrors& errors);

 private:
  enum class Kind { None, ApiKey, Jwt, Unrecognized };

  IdentityConfig config_;
  Kind kind_ = Kind::None;
  std::string api_key_;                     // kept only for API keys: re-checked per call
  std::unique_ptr<KeyStore> key_store_;
  std::optional<JwtVerifier> verifier_;
  std::optional<JwtResult> jwt_;            // the once-only verification result
  std::string setup_error_;                 // non-empty: every call fails with this
};

}  // namespace toolgate
