// Public keys that JWT signatures are checked against, loaded from a local JWKS file (RFC 7517)
// or a PEM public key. Supported: RSA (>= 2048 bits), EC P-256 and OKP Ed25519. Keys are never
// fetched from the network or taken from a token's own header (jku, x5u, jwk): trust comes only
// from the file the operator configured.
//
// Members a JWK does not need are ignored, as RFC 7517 requires, so real identity-provider JWKS
// files load unchanged; keys marked "use": "enc" and unsupported key types or curves are skipped.
// Symmetric keys (kty "oct") and private key members (d, p, q, ...) are errors: a verification
// key set must hold public keys only. A KeySet is immutable after loading and its EVP_PKEYs may
// be used for verification from many threads at once.
#pragma once

#include "util/json_reader.hpp"

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace toolgate {

enum class KeyKind { Rsa, EcP256, Ed25519 };
const char* key_kind_name(KeyKind kind);  // "RSA", "EC P-256", "Ed25519"

struct VerificationKey {
  std::string kid;  // empty when the JWK has none (always empty for PEM)
  KeyKind kind = KeyKind::Rsa;
  std::string alg;  // the JWK's "alg" if set: the key may be used with that algorithm only
  std::shared_ptr<EVP_PKEY> pkey;
};

struct KeySet {
  std::string origin;  // "JWKS file /etc/toolgate/idp.json", used in error messages
  std::vector<VerificationKey> keys;
};

// Parses JWKS text; errors name the JSONPath ("$.keys[0].n: not valid base64url").
std::optional<KeySet> parse_jwks(const std::string& text, JsonErrors& errors);
// Reads a JWKS file; errors are prefixed "JWKS file <path>: ".
std::optional<KeySet> load_jwks_file(const std::string& path, JsonErrors& errors);
// Reads one PEM "PUBLIC KEY" (SubjectPublicKeyInfo); errors are prefixed "PEM file <path>: ".
std::optional<KeySet> load_pem_file(const std::string& path, JsonErrors& errors);
std::optional<KeySet> parse_pem(const std::string& text, std::string& error);

}  // namespace toolgate
