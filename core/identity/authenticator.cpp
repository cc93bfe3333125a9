#include "identity/authenticator.hpp"

#include <algorithm>

#include "identity/api_keys.hpp"
#include "identity/jwks.hpp"

namespace toolgate {

namespace {

std::optional<KeySet> load_keys(const JwtConfig& jwt, JsonErrors& errors) {
  return jwt.jwks_file.empty() ? load_pem_file(jwt.pem_file, errors) : load_jwks_file(jwt.jwks_file, errors);
}

AuthResult failure(std::string reason) {
  AuthResult r;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

std::string normalise_credential(std::string credential) {
  const char* ws = " \t\r\n";
  credential.erase(0, credential.find_first_not_of(ws));
  credential.erase(credential.find_last_not_of(ws) + 1);
  return credential;
}

std::vector<std::string> credential_secrets(const std::string& credential) {
  std::vector<std::string> out;
  std::string key = normalise_credential(credential);
  if (key.empty()) return out;
  out.push_back(key);
  if (auto api_key = parse_api_key(key)) out.push_back(api_key->secret);
  // Without its signature a JWT cannot be rebuilt. (Its header.payload is not a literal: the
  // header is shared by every token of an issuer, and matching it would cut other tokens short
  // of the pattern that recognises them whole.)
  if (std::count(key.begin(), key.end(), '.') == 2) out.push_back(key.substr(key.rfind('.') + 1));
  return out;
}

Authenticator::Authenticator(IdentityConfig config, std::string credential) : config_(std::move(config)) {
  credential = normalise_credential(std::move(credential));
  if (credential.empty()) {
    kind_ = Kind::None;
  } else if (credential.rfind(kApiKeyPrefix, 0) == 0) {
    kind_ = Kind::ApiKey;
    if (config_.keys_file.empty()) {
      setup_error_ = "an API key was supplied in " + config_.token_env + " but identity.keysFile is not configured";
    } else {
      key_store_ = std::make_unique<KeyStore>(config_.keys_file);
      api_key_ = std::move(credential);
    }
  } else if (credential.find('.') != std::string::npos) {
    kind_ = Kind::Jwt;
    if (!config_.jwt) {
      setup_error_ = "a JWT was supplied in " + config_.token_env + " but identity.jwt is not configured";
      return;
    }
    JsonErrors errors;
    auto keys = load_keys(*config_.jwt, errors);
    if (!keys) {
      setup_error_ = "cannot verify the JWT: " + errors.joined("; ");
      return;
    }
    verifier_.emplace(*config_.jwt, std::move(*keys));
    jwt_ = verifier_->verify(credential);
  } else {
    kind_ = Kind::Unrecognized;
    setup_error_ = "unrecognized credential in " + config_.token_env +
                   ": expected an API key (tgk_...) or a JWT (header.payload.signature)";
  }
}

const char* Authenticator::credential_kind() const {
  switch (kind_) {
    case Kind::None: return "none";
    case Kind::ApiKey: return "api_key";
    case Kind::Jwt: return "jwt";
    case Kind::Unrecognized: return "unrecognized";
  }
  return "unrecognized";
}

AuthResult Authenticator::authenticate(SysTime now) const {
  if (!setup_error_.empty()) return failure(setup_error_);
  switch (kind_) {
    case Kind::None: {
      if (!config_.anonymous)
        return failure("no credential: set " + config_.token_env +
                       " (the variable named by identity.tokenEnv) in the environment the client launches toolgate with");
      AuthResult r;
      r.ok = true;
      r.principal = Principal{"anonymous", config_.anonymous->tenant, config_.anonymous->scopes, "anonymous", ""};
      return r;
    }
    case Kind::ApiKey: {
      KeyCheck c = key_store_->check(api_key_, now);
      AuthResult r;
      r.ok = c.ok;
      r.principal = std::move(c.principal);
      r.reason = std::move(c.reason);
      return r;
    }
    case Kind::Jwt: {
      if (!jwt_->ok) return failure(jwt_->reason);
      std::string why = verifier_->check_time(jwt_->token, now);
      if (!why.empty()) return failure(why);
      AuthResult r;
      r.ok = true;
      r.principal = jwt_->token.principal;
      return r;
    }
    case Kind::Unrecognized: break;
  }
  return failure(setup_error_);
}

bool Authenticator::validate(const IdentityConfig& config, JsonErrors& errors) {
  const std::size_t before = errors.items().size();
  if (config.keys_file.empty() && !config.jwt && !config.anonymous)
    errors.add("$.identity",
               "no credential source configured (set identity.keysFile, identity.jwt or identity.anonymous)");
  if (!config.keys_file.empty()) load_keys_file(config.keys_file, errors);
  if (config.jwt) load_keys(*config.jwt, errors);
  return errors.items().size() == before;
}

}  // namespace toolgate
