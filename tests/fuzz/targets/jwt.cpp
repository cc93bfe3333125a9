// JWTs: the raw token path (segments, base64url, header JSON, alg policy, key selection) and,
// because a fuzzer cannot forge signatures, a second mode in which the harness signs the
// fuzzed header and payload with a fixed Ed25519 key the verifier trusts, so claim parsing
// (iss, aud, sub, tenant, scopes, exp, nbf) is reached too.
//   input[0] even: input[1..] is the token.
//   input[0] odd:  input[1..] is "<header JSON>\n<payload JSON>", signed by the harness.
#include <openssl/evp.h>

#include <chrono>
#include <string>

#include "fuzz_targets.hpp"
#include "identity/base64url.hpp"
#include "identity/jwks.hpp"
#include "identity/jwt_verifier.hpp"

namespace toolgate::fuzz {

namespace {

struct Harness {
  EVP_PKEY* key = nullptr;
  std::optional<JwtVerifier> verifier;
};

Harness& harness() {
  static Harness h = [] {
    Harness out;
    unsigned char seed[32];
    for (int i = 0; i < 32; ++i) seed[i] = static_cast<unsigned char>(i * 7 + 1);
    out.key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, sizeof seed);
    std::string pub(32, '\0');
    std::size_t len = pub.size();
    EVP_PKEY_get_raw_public_key(out.key, reinterpret_cast<unsigned char*>(pub.data()), &len);
    std::string jwks = R"({"keys":[{"kty":"OKP","crv":"Ed25519","kid":"fuzz","x":")" + base64url_encode(pub) + R"("}]})";
    JsonErrors errors;
    auto keys = parse_jwks(jwks, errors);
    JwtConfig config;
    config.jwks_file = "/etc/toolgate/fuzz-jwks.json";
    config.issuer = "https://idp.example";
    config.audience = "toolgate";
    config.default_tenant = "fuzz";
    out.verifier.emplace(config, *keys);
    return out;
  }();
  return h;
}

std::string sign(EVP_PKEY* key, const std::string& input) {
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key);
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

}  // namespace

int jwt(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Harness& h = harness();
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string token = rest;
  if (data[0] & 1) {
    std::size_t nl = rest.find('\n');
    std::string header = rest.substr(0, nl), payload = nl == std::string::npos ? "" : rest.substr(nl + 1);
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    token = input + "." + base64url_encode(sign(h.key, input));
  }
  // A fixed clock: 2026-01-01T00:00:00Z.
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  JwtResult r = h.verifier->verify_at(token, now);
  if (r.ok) (void)h.verifier->check_time(r.token, now + std::chrono::hours(24));
  return 0;
}

}  // namespace toolgate::fuzz
