#include "identity/jws_signature.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <string>

namespace toolgate {

namespace {

constexpr std::size_t kP256FieldBytes = 32;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// JOSE carries an ECDSA signature as fixed-width r||s (RFC 7518 section 3.4); OpenSSL wants DER.
std::optional<std::string> jose_to_der(std::string_view sig) {
  if (sig.size() != 2 * kP256FieldBytes) return std::nullopt;
  ECDSA_SIG* es = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes(sig), kP256FieldBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(sig) + kP256FieldBytes, kP256FieldBytes, nullptr);
  std::optional<std::string> out;
  if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
    r = s = nullptr;  // owned by es now
    int len = i2d_ECDSA_SIG(es, nullptr);
    if (len > 0) {
      std::string der(static_cast<std::size_t>(len), '\0');
      unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
      if (i2d_ECDSA_SIG(es, &p) == len) out = std::move(der);
    }
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(es);
  return out;
}

bool key_fits(JwsAlg alg, EVP_PKEY* key) {
  switch (alg) {
    case JwsAlg::RS256: return EVP_PKEY_is_a(key, "RSA");
    case JwsAlg::ES256: {
      char group[32] = {0};
      size_t len = 0;
      return EVP_PKEY_is_a(key, "EC") &&
             EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1 &&
             std::string_view(group, len) == "prime256v1";
    }
    case JwsAlg::EdDSA: return EVP_PKEY_is_a(key, "ED25519");
  }
  return false;
}

}  // namespace

std::optional<JwsAlg> parse_jws_alg(std::string_view name) {
  if (name == "RS256") return JwsAlg::RS256;
  if (name == "ES256") return JwsAlg::ES256;
  if (name == "EdDSA" || name == "Ed25519") return JwsAlg::EdDSA;
  return std::nullopt;
}

const char* jws_alg_name(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::RS256: return "RS256";
    case JwsAlg::ES256: return "ES256";
    case JwsAlg::EdDSA: return "EdDSA";
  }
  return "?";
}

KeyKind key_kind_for(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::RS256: return KeyKind::Rsa;
    case JwsAlg::ES256: return KeyKind::EcP256;
    case JwsAlg::EdDSA: return KeyKind::Ed25519;
  }
  return KeyKind::Rsa;
}

bool verify_jws_signature(JwsAlg alg, EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
  if (!key || !key_fits(alg, key)) return false;
  std::string der;
  if (alg == JwsAlg::ES256) {
    auto converted = jose_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  // Ed25519 hashes internally and takes no digest; the others use SHA-256.
  const EVP_MD* md = alg == JwsAlg::EdDSA ? nullptr : EVP_sha256();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key) == 1;
  if (ok && alg == JwsAlg::RS256) ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  ok = ok && EVP_DigestVerify(ctx, bytes(signature), signature.size(), bytes(signing_input), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  // A failed verification leaves entries on this thread's error queue; drop them.
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace toolgate
