// JWS signature algorithms toolgate accepts and their verification with OpenSSL 3 EVP. Only
// asymmetric algorithms exist here on purpose: with HMAC the "public" key would be the shared
// secret, which is how algorithm-confusion attacks forge tokens. Pure functions; thread-safe
// (each call makes its own EVP context).
#pragma once

#include "identity/jwks.hpp"

#include <optional>
#include <string_view>

namespace toolgate {

enum class JwsAlg { RS256, ES256, EdDSA };

// "RS256", "ES256", "EdDSA" (and the fully-specified "Ed25519" of RFC 9864); nullopt otherwise.
std::optional<JwsAlg> parse_jws_alg(std::string_view name);
const char* jws_alg_name(JwsAlg alg);
KeyKind key_kind_for(JwsAlg alg);

// Verifies `signature` (raw JWS bytes: RSASSA-PKCS1-v1_5, JOSE r||s for ES256, or Ed25519)
// over `signing_input` ("<header>.<payload>" as sent). False on any mismatch, including a key
// whose type does not fit the algorithm.
bool verify_jws_signature(JwsAlg alg, EVP_PKEY* key, std::string_view signing_input, std::string_view signature);

}  // namespace toolgate
