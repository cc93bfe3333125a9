// Loading verification keys from JWKS and PEM files, with errors naming the file and member.
#include "identity/jwks.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

namespace json = boost::json;
using test::ec_key;
using test::ed_key;
using test::rsa_key;

std::string jwks_text(std::initializer_list<json::object> keys) {
  json::array arr;
  for (const auto& k : keys) arr.push_back(k);
  return json::serialize(json::object{{"keys", arr}});
}

std::string parse_error(const std::string& text) {
  JsonErrors errors;
  EXPECT_FALSE(parse_jwks(text, errors));
  return errors.joined();
}

TEST(Jwks, LoadsRsaEcAndEd25519Keys) {
  json::object rsa = rsa_key().jwk("r1");
  rsa["alg"] = "RS256";
  rsa["use"] = "sig";
  rsa["x5t"] = "ignored-by-rfc-7517";
  JsonErrors errors;
  auto set = parse_jwks(jwks_text({rsa, ec_key().jwk("e1"), ed_key().jwk()}), errors);
  ASSERT_TRUE(set) << errors.joined();
  ASSERT_EQ(set->keys.size(), 3u);
  EXPECT_EQ(set->keys[0].kind, KeyKind::Rsa);
  EXPECT_EQ(set->keys[0].kid, "r1");
  EXPECT_EQ(set->keys[0].alg, "RS256");
  EXPECT_EQ(set->keys[1].kind, KeyKind::EcP256);
  EXPECT_EQ(set->keys[2].kind, KeyKind::Ed25519);
  EXPECT_EQ(set->keys[2].kid, "");
  for (const auto& k : set->keys) EXPECT_TRUE(k.pkey);
}

TEST(Jwks, SkipsEncryptionKeysAndUnsupportedTypes) {
  json::object enc = rsa_key().jwk("enc1");
  enc["use"] = "enc";
  json::object p384{{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}};
  json::object x25519{{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AA"}};
  JsonErrors errors;
  auto set = parse_jwks(jwks_text({enc, p384, x25519, ed_key().jwk("ok")}), errors);
  ASSERT_TRUE(set) << errors.joined();
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid, "ok");
}

TEST(Jwks, NoUsableKeyIsAnError) {
  json::object enc = rsa_key().jwk("enc1");
  enc["use"] = "enc";
  EXPECT_EQ(parse_error(jwks_text({enc})), "$.keys: no usable signature keys (supported: RSA, EC P-256, OKP Ed25519)");
  EXPECT_EQ(parse_error(R"({"keys": []})"), "$.keys: no usable signature keys (supported: RSA, EC P-256, OKP Ed25519)");
}

TEST(Jwks, PrivateMaterialAndSymmetricKeysAreRefused) {
  json::object priv = ec_key().jwk("e1");
  priv["d"] = "AAAA";
  EXPECT_EQ(parse_error(jwks_text({priv})),
            "$.keys[0].d: private key material: a JWKS for verification must hold public keys only");
  json::object oct{{"kty", "oct"}, {"k", "c2VjcmV0"}};
  EXPECT_EQ(parse_error(jwks_text({oct})),
            "$.keys[0].kty: symmetric keys (oct) are not accepted: toolgate verifies public-key signatures only");
}

TEST(Jwks, MalformedMembersNameThePath) {
  json::object bad_n = rsa_key().jwk();
  bad_n["n"] = "not base64!";
  EXPECT_EQ(parse_error(jwks_text({bad_n})), "$.keys[0].n: not valid base64url");
  json::object short_x = ed_key().jwk();
  short_x["x"] = "AAAA";
  EXPECT_EQ(parse_error(jwks_text({short_x})), "$.keys[0]: x must be 32 bytes for Ed25519");
  json::object off_curve = ec_key().jwk();
  off_curve["y"] = base64url_encode(std::string(32, '\x01'));
  EXPECT_EQ(parse_error(jwks_text({off_curve})), "$.keys[0]: not a valid EC P-256 public key");
  json::object bad_e = rsa_key().jwk();
  bad_e["e"] = "AQ";  // e = 1
  EXPECT_EQ(parse_error(jwks_text({bad_e})), "$.keys[0]: not a valid RSA public key");
  json::object no_kty{{"n", "AQAB"}};
  EXPECT_EQ(parse_error(jwks_text({no_kty})), "$.keys[0].kty: is required");
  EXPECT_EQ(parse_error(R"({"keys": "x"})"), "$.keys: expected an array");
  EXPECT_EQ(parse_error(R"([1])"), "$: expected a JWK Set object {\"keys\": [...]}");
}

TEST(Jwks, WeakRsaKeyIsRefused) {
  test::SigningKey weak("RS256", 1024);
  EXPECT_EQ(parse_error(jwks_text({weak.jwk()})), "$.keys[0]: RSA key has 1024 bits; at least 2048 are required");
}

TEST(Jwks, FileErrorsNameTheFile) {
  test::TempDir dir;
  JsonErrors errors;
  EXPECT_FALSE(load_jwks_file(dir.file("missing.json"), errors));
  EXPECT_EQ(errors.joined(), "JWKS file " + dir.file("missing.json") + ": cannot read file: No such file or directory");

  std::string path = dir.file("jwks.json");
  test::write_file(path, "{\"keys\": [");
  JsonErrors errors2;
  EXPECT_FALSE(load_jwks_file(path, errors2));
  EXPECT_EQ(errors2.joined().rfind("JWKS file " + path + ": $: invalid JSON at line 1", 0), 0u) << errors2.joined();

  test::write_file(path, jwks_text({rsa_key().jwk("k")}));
  JsonErrors errors3;
  auto set = load_jwks_file(path, errors3);
  ASSERT_TRUE(set) << errors3.joined();
  EXPECT_EQ(set->origin, "JWKS file " + path);
}

TEST(Pem, LoadsEachSupportedKeyType) {
  for (const test::SigningKey* k : {&rsa_key(), &ec_key(), &ed_key()}) {
    std::string error;
    auto set = parse_pem(k->public_pem(), error);
    ASSERT_TRUE(set) << error;
    ASSERT_EQ(set->keys.size(), 1u);
    EXPECT_EQ(set->keys[0].kid, "");
  }
}

TEST(Pem, UnreadableOrUnsupportedPemIsAnError) {
  test::TempDir dir;
  std::string path = dir.file("idp.pem");
  test::write_file(path, "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n");
  JsonErrors errors;
  EXPECT_FALSE(load_pem_file(path, errors));
  EXPECT_EQ(errors.joined(), "PEM file " + path + ": no PEM \"PUBLIC KEY\" block could be read");

  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, p384);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(p384);
  std::string error;
  EXPECT_FALSE(parse_pem(pem, error));
  EXPECT_EQ(error, "unsupported key type (supported: RSA, EC P-256, Ed25519)");
}

}  // namespace
}  // namespace toolgate
