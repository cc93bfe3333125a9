#include "identity/jwks.hpp"

#include "identity/base64url.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

namespace toolgate {

namespace json = boost::json;

const char* key_kind_name(KeyKind kind) {
  switch (kind) {
    case KeyKind::Rsa: return "RSA";
    case KeyKind::EcP256: return "EC P-256";
    case KeyKind::Ed25519: return "Ed25519";
  }
  return "?";
}

namespace {

constexpr int kMinRsaBits = 2048;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

std::optional<std::string> b64_member(JsonObjectReader& r, const std::string& key) {
  auto s = r.string(key, true);
  if (!s) return std::nullopt;
  auto bytes = base64url_decode(*s);
  if (!bytes || bytes->empty()) r.errors().add(r.child_path(key), "not valid base64url");
  return bytes && !bytes->empty() ? bytes : std::nullopt;
}

// Builds a public key from OSSL_PARAMs; the caller fills the builder for the given type.
template <typename Fill>
EVP_PKEY* from_params(const char* type, Fill fill) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY_CTX* ctx = nullptr;
  EVP_PKEY* pkey = nullptr;
  if (bld && fill(bld) && (params = OSSL_PARAM_BLD_to_param(bld)) &&
      (ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)) && EVP_PKEY_fromdata_init(ctx) == 1 &&
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    pkey = nullptr;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return pkey;
}

EVP_PKEY* rsa_key(const std::string& n, const std::string& e) {
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
  EVP_PKEY* pkey = nullptr;
  if (bn_n && bn_e)
    pkey = from_params("RSA", [&](OSSL_PARAM_BLD* b) {
      return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
             OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1;
    });
  BN_free(bn_n);
  BN_free(bn_e);
  return pkey;
}

bool public_key_checks_out(EVP_PKEY* pkey) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  bool ok = ctx && EVP_PKEY_public_check(ctx) == 1;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

EVP_PKEY* p256_key(const std::string& x, const std::string& y) {
  std::string point = "\x04" + x + y;  // uncompressed SEC1 point
  EVP_PKEY* pkey = from_params("EC", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1;
  });
  if (pkey && !public_key_checks_out(pkey)) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  return pkey;
}

bool is_p256(EVP_PKEY* pkey) {
  char group[64] = {0};
  size_t len = 0;
  return EVP_PKEY_is_a(pkey, "EC") &&
         EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1 &&
         std::string(group, len) == "prime256v1";
}

// One JWK; nullopt means "skipped" (no error) or "invalid" (error added).
std::optional<VerificationKey> read_jwk(JsonObjectReader& r) {
  const std::size_t before = r.errors().items().size();
  auto kty = r.string("kty", true);
  auto use = r.string("use");
  auto kid = r.string("kid");
  auto alg = r.string("alg");
  if (!kty) return std::nullopt;
  if (*kty == "oct") {
    r.errors().add(r.child_path("kty"), "symmetric keys (oct) are not accepted: toolgate verifies public-key signatures only");
    return std::nullopt;
  }
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "oth"})
    if (r.has(priv)) r.errors().add(r.child_path(priv), "private key material: a JWKS for verification must hold public keys only");
  if (r.errors().items().size() != before) return std::nullopt;
  if (use && *use != "sig") return std::nullopt;

  VerificationKey key;
  key.kid = kid.value_or("");
  key.alg = alg.value_or("");
  EVP_PKEY* pkey = nullptr;
  if (*kty == "RSA") {
    auto n = b64_member(r, "n");
    auto e = b64_member(r, "e");
    if (!n || !e) return std::nullopt;
    key.kind = KeyKind::Rsa;
    pkey = rsa_key(*n, *e);
    if (pkey && !public_key_checks_out(pkey)) {  // e.g. an even modulus or e = 1
      EVP_PKEY_free(pkey);
      pkey = nullptr;
    }
    if (pkey && EVP_PKEY_get_bits(pkey) < kMinRsaBits) {
      r.errors().add(r.path(), "RSA key has " + std::to_string(EVP_PKEY_get_bits(pkey)) + " bits; at least " +
                                   std::to_string(kMinRsaBits) + " are required");
      EVP_PKEY_free(pkey);
      return std::nullopt;
    }
  } else if (*kty == "EC" || *kty == "OKP") {
    auto crv = r.string("crv", true);
    if (!crv) return std::nullopt;
    bool ec = *kty == "EC";
    if ((ec && *crv != "P-256") || (!ec && *crv != "Ed25519")) return std::nullopt;  // unsupported: skip
    auto x = b64_member(r, "x");
    auto y = ec ? b64_member(r, "y") : std::optional<std::string>("");
    if (!x || !y) return std::nullopt;
    if (x->size() != 32 || (ec && y->size() != 32)) {
      r.errors().add(r.path(), std::string(ec ? "x and y" : "x") + " must be 32 bytes for " + *crv);
      return std::nullopt;
    }
    key.kind = ec ? KeyKind::EcP256 : KeyKind::Ed25519;
    pkey = ec ? p256_key(*x, *y)
              : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(x->data()), x->size());
  } else {
    return std::nullopt;  // a key type we do not verify with (RFC 7517 lets sets mix types)
  }
  if (!pkey) {
    ERR_clear_error();
    r.errors().add(r.path(), std::string("not a valid ") + key_kind_name(key.kind) + " public key");
    return std::nullopt;
  }
  key.pkey = own(pkey);
  return key;
}

std::optional<KeySet> prefixed(std::optional<KeySet> set, const std::string& prefix, const JsonErrors& local,
                               JsonErrors& errors) {
  for (const auto& item : local.items()) errors.add(prefix, item);
  if (set) set->origin = prefix;
  return set;
}

std::optional<std::string> read_text(const std::string& path, const std::string& prefix, JsonErrors& errors) {
  JsonErrors local;
  auto text = read_file(path, local);
  if (!text) {
    const std::string& item = local.items().front();
    errors.add(prefix, item.size() > path.size() + 2 ? item.substr(path.size() + 2) : item);
  }
  return text;
}

}  // namespace

std::optional<KeySet> parse_jwks(const std::string& text, JsonErrors& errors) {
  auto doc = parse_json_text(text, "$", errors);
  if (!doc) return std::nullopt;
  const std::size_t before = errors.items().size();
  const json::array* arr = nullptr;
  if (doc->is_object()) {
    JsonObjectReader root(&doc->get_object(), "$", errors);
    arr = root.array("keys", true);
  } else {
    errors.add("$", "expected a JWK Set object {\"keys\": [...]}");
  }
  KeySet set;
  if (arr) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      std::string path = "$.keys[" + std::to_string(i) + "]";
      if (!(*arr)[i].is_object()) {
        errors.add(path, "expected a JWK object");
        continue;
      }
      JsonObjectReader r(&(*arr)[i].get_object(), path, errors);
      if (auto key = read_jwk(r)) set.keys.push_back(std::move(*key));
    }
  }
  if (errors.items().size() != before) return std::nullopt;
  if (set.keys.empty()) {
    errors.add("$.keys", "no usable signature keys (supported: RSA, EC P-256, OKP Ed25519)");
    return std::nullopt;
  }
  return set;
}

std::optional<KeySet> load_jwks_file(const std::string& path, JsonErrors& errors) {
  const std::string prefix = "JWKS file " + path;
  auto text = read_text(path, prefix, errors);
  if (!text) return std::nullopt;
  JsonErrors local;
  auto set = parse_jwks(*text, local);
  return prefixed(std::move(set), prefix, local, errors);
}

std::optional<KeySet> parse_pem(const std::string& text, std::string& error) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!pkey) {
    ERR_clear_error();
    error = "no PEM \"PUBLIC KEY\" block could be read";
    return std::nullopt;
  }
  VerificationKey key;
  key.pkey = own(pkey);
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    key.kind = KeyKind::Rsa;
    if (EVP_PKEY_get_bits(pkey) < kMinRsaBits) {
      error = "RSA key has " + std::to_string(EVP_PKEY_get_bits(pkey)) + " bits; at least " +
              std::to_string(kMinRsaBits) + " are required";
      return std::nullopt;
    }
  } else if (is_p256(pkey)) {
    key.kind = KeyKind::EcP256;
  } else if (EVP_PKEY_is_a(pkey, "ED25519")) {
    key.kind = KeyKind::Ed25519;
  } else {
    error = "unsupported key type (supported: RSA, EC P-256, Ed25519)";
    return std::nullopt;
  }
  KeySet set;
  set.keys.push_back(std::move(key));
  return set;
}

std::optional<KeySet> load_pem_file(const std::string& path, JsonErrors& errors) {
  const std::string prefix = "PEM file " + path;
  auto text = read_text(path, prefix, errors);
  if (!text) return std::nullopt;
  std::string error;
  auto set = parse_pem(*text, error);
  if (!set) errors.add(prefix, error);
  else set->origin = prefix;
  return set;
}

}  // namespace toolgate
