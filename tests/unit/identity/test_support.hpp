// Helpers for the identity tests: scratch directories, and signing keys plus tokens minted with
// OpenSSL inside the test (nothing pre-baked, nothing fetched). Test-only; not thread-safe.
#pragma once

#include "identity/base64url.hpp"
#include "identity/time_format.hpp"

#include <boost/json.hpp>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace toolgate::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tg-identity-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fixed "now" so no test depends on the wall clock: 2027-01-15T08:00:00Z.
inline SysTime t0() { return SysTime(std::chrono::seconds(1800000000)); }
inline std::int64_t t0_s() { return 1800000000; }

inline std::string bn_bytes(const EVP_PKEY* k, const char* param, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, param, &bn) != 1) throw std::runtime_error("get_bn_param failed");
  std::string out(pad ? pad : BN_num_bytes(bn), '\0');
  if (pad)
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad);
  else
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

// A private key used to sign test tokens; alg is "RS256", "ES256" or "EdDSA".
class SigningKey {
 public:
  explicit SigningKey(std::string alg, int rsa_bits = 2048) : alg_(std::move(alg)) {
    EVP_PKEY* k = alg_ == "RS256"   ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits))
                  : alg_ == "ES256" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!k) throw std::runtime_error("keygen failed");
    key_.reset(k, EVP_PKEY_free);
  }
  const std::string& alg() const { return alg_; }
  EVP_PKEY* pkey() const { return key_.get(); }

  // The public half as a JWK object.
  boost::json::object jwk(const std::string& kid = "") const {
    boost::json::object o;
    if (alg_ == "RS256") {
      o["kty"] = "RSA";
      o["n"] = base64url_encode(bn_bytes(pkey(), OSSL_PKEY_PARAM_RSA_N));
      o["e"] = base64url_encode(bn_bytes(pkey(), OSSL_PKEY_PARAM_RSA_E));
    } else if (alg_ == "ES256") {
      o["kty"] = "EC";
      o["crv"] = "P-256";
      o["x"] = base64url_encode(bn_bytes(pkey(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
      o["y"] = base64url_encode(bn_bytes(pkey(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    } else {
      unsigned char raw[32];
      size_t len = sizeof raw;
      EVP_PKEY_get_raw_public_key(pkey(), raw, &len);
      o["kty"] = "OKP";
      o["crv"] = "Ed25519";
      o["x"] = base64url_encode(std::string(reinterpret_cast<char*>(raw), len));
    }
    if (!kid.empty()) o["kid"] = kid;
    return o;
  }

  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, pkey());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(n));
    BIO_free(bio);
    return out;
  }

  // Raw JWS signature bytes over `input` (JOSE r||s for ES256).
  std::string sign(const std::string& input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const EVP_MD* md = alg_ == "EdDSA" ? nullptr : EVP_sha256();
    size_t len = 0;
    auto in = reinterpret_cast<const unsigned char*>(input.data());
    if (EVP_DigestSignInit(ctx, nullptr, md, nullptr, pkey()) != 1 ||
        EVP_DigestSign(ctx, nullptr, &len, in, input.size()) != 1)
      throw std::runtime_error("sign init failed");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) != 1)
      throw std::runtime_error("sign failed");
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    if (alg_ != "ES256") return sig;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string jose(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(jose.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(jose.data()) + 32, 32);
    ECDSA_SIG_free(es);
    return jose;
  }

 private:
  std::string alg_;
  std::shared_ptr<EVP_PKEY> key_;
};

// Keys are slow to make (RSA especially); each kind is minted once per test binary.
inline const SigningKey& rsa_key() { static SigningKey k("RS256"); return k; }
inline const SigningKey& ec_key() { static SigningKey k("ES256"); return k; }
inline const SigningKey& ed_key() { static SigningKey k("EdDSA"); return k; }

inline std::string b64json(const boost::json::value& v) { return base64url_encode(boost::json::serialize(v)); }

// header.payload.signature, signed with `key` (the header's alg is taken as given).
inline std::string make_token(const boost::json::object& header, const boost::json::object& payload,
                              const SigningKey& key) {
  std::string input = b64json(header) + "." + b64json(payload);
  return input + "." + base64url_encode(key.sign(input));
}

inline std::string hmac_token(const boost::json::object& header, const boost::json::object& payload,
                              const std::string& secret) {
  std::string input = b64json(header) + "." + b64json(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* md = EVP_sha256();
  HMAC(md, secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

}  // namespace toolgate::test
