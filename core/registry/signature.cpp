#include "registry/signature.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>
#include <stdexcept>
#include <filesystem>

#include "util/canonical_json.hpp"
#include "util/digest.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

// Domain separation: these bytes can only ever be a toolgate manifest signature.
constexpr std::string_view kSigningPrefix = "toolgate manifest signature v1\n";

const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* p) { return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::optional<std::string> raw_public(EVP_PKEY* pkey) {
  if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) return std::nullopt;
  std::string raw(32, '\0');
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1 || len != 32)
    return std::nullopt;
  return raw;
}

PublisherKey publisher_from_raw(std::string raw, const std::string& name) {
  PublisherKey k;
  k.name = name;
  k.key_id = key_id_of(raw);
  k.raw = std::move(raw);
  return k;
}

bool verify_ed25519(const std::string& raw_pub, std::string_view message, const std::string& sig) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(raw_pub.data()), raw_pub.size());
  if (!pkey) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad) return std::nullopt;  // data after padding
      v[j] = b64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    unsigned n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
  }
  return out;
}

std::string key_id_of(std::string_view raw_public_key) { return sha256_hex(raw_public_key).substr(0, 16); }

SigningKey generate_signing_key() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY* pkey = nullptr;
  bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &pkey) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) throw std::runtime_error("Ed25519 key generation failed");
  SigningKey k;
  k.pkey = own(pkey);
  k.pub = publisher_from_raw(*raw_public(pkey), "");
  return k;
}

std::string private_key_pem(const SigningKey& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key.pkey.get(), nullptr, nullptr, 0, nullptr, nullptr))
    throw std::runtime_error("cannot encode the private key");
  return bio_text(bio.get());
}

std::string public_key_pem(const PublisherKey& key) {
  auto pkey = own(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(key.raw.data()), key.raw.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!pkey || !PEM_write_bio_PUBKEY(bio.get(), pkey.get())) throw std::runtime_error("cannot encode the public key");
  return bio_text(bio.get());
}

std::optional<SigningKey> load_signing_key(const std::string& path, std::string& error) {
  JsonErrors read_errors;
  auto text = read_file(path, read_errors);
  if (!text) {
    error = read_errors.joined();
    return std::nullopt;
  }
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!pkey) {
    error = path + ": not a PEM private key (expected the .key file `toolgate plugin keygen` writes)";
    return std::nullopt;
  }
  SigningKey k;
  k.pkey = own(pkey);
  auto raw = raw_public(pkey);
  if (!raw) {
    error = path + ": not an Ed25519 key (toolgate signs with Ed25519 only)";
    return std::nullopt;
  }
  k.pub = publisher_from_raw(*raw, std::filesystem::path(path).stem().string());
  return k;
}

std::optional<PublisherKey> parse_public_key(const std::string& text, const std::string& name, std::string& error) {
  if (text.find("-----BEGIN") != std::string::npos) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    auto pkey = own(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!pkey) {
      error = "not a PEM public key";
      return std::nullopt;
    }
    auto raw = raw_public(pkey.get());
    if (!raw) {
      error = "not an Ed25519 public key (toolgate verifies Ed25519 signatures only)";
      return std::nullopt;
    }
    return publisher_from_raw(*raw, name);
  }
  std::size_t b = text.find_first_not_of(" \t\r\n");
  std::size_t e = text.find_last_not_of(" \t\r\n");
  auto raw = b == std::string::npos ? std::nullopt : base64_decode(std::string_view(text).substr(b, e - b + 1));
  if (!raw || raw->size() != 32) {
    error = "expected a PEM public key or the base64 of a 32-byte Ed25519 public key";
    return std::nullopt;
  }
  return publisher_from_raw(*raw, name);
}

std::optional<PublisherKey> load_public_key_file(const std::string& path, const std::string& name,
                                                 std::string& error) {
  JsonErrors read_errors;
  auto text = read_file(path, read_errors);
  if (!text) {
    error = read_errors.joined();
    return std::nullopt;
  }
  auto key = parse_public_key(*text, name.empty() ? std::filesystem::path(path).stem().string() : name, error);
  if (!key) error = path + ": " + error;
  return key;
}

std::string manifest_signing_input(const json::object& manifest) {
  json::object unsigned_doc = manifest;
  unsigned_doc.erase("signature");
  return std::string(kSigningPrefix) + canonical_json(unsigned_doc);
}

json::object sign_manifest(const json::object& manifest, const SigningKey& key) {
  std::string input = manifest_signing_input(manifest);
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key.pkey.get()) == 1 &&
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != 64) throw std::runtime_error("Ed25519 signing failed");
  return json::object{{"keyId", key.pub.key_id}, {"algorithm", kSignatureAlgorithm}, {"value", base64_encode(sig)}};
}

TrustVerdict check_manifest_trust(const json::object& manifest, const TrustPolicy& policy) {
  TrustVerdict v;
  const json::value* sig = manifest.if_contains("signature");
  if (!sig) {
    v.ok = !policy.require_signed;
    if (!v.ok)
      v.reason = "the manifest is not signed, and plugins.requireSigned is true (sign it with `toolgate plugin sign "
                 "--key KEY MANIFEST`; a rebuild rewrites the manifest, so sign again after each build)";
    return v;
  }
  v.is_signed = true;
  auto field = [&](const char* k) -> std::string {
    const json::value* f = sig->is_object() ? sig->get_object().if_contains(k) : nullptr;
    return f && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  std::string key_id = field("keyId"), algorithm = field("algorithm"), value = field("value");
  if (key_id.empty() || algorithm.empty() || value.empty()) {
    v.reason = "the signature is malformed: expected {\"keyId\", \"algorithm\", \"value\"} strings";
    return v;
  }
  if (algorithm != kSignatureAlgorithm) {
    v.reason = "the signature uses algorithm '" + algorithm + "'; only Ed25519 is accepted";
    return v;
  }
  const PublisherKey* key = nullptr;
  for (const auto& p : policy.publishers)
    if (p.key_id == key_id) key = &p;
  if (!key) {
    v.reason = "signed by key " + key_id + ", which is not a trusted publisher (plugins.trustedPublishers)";
    return v;
  }
  auto raw_sig = base64_decode(value);
  if (!raw_sig || raw_sig->size() != 64 || !verify_ed25519(key->raw, manifest_signing_input(manifest), *raw_sig)) {
    v.reason = "the signature by publisher '" + key->name + "' (key " + key_id +
               ") does not verify: the manifest was changed after it was signed, or was not signed with that key";
    return v;
  }
  v.ok = true;
  v.publisher = key->name;
  return v;
}

std::optional<TrustPolicy> load_trust_policy(bool require_signed, const std::vector<TrustedPublisherSpec>& specs,
                                             JsonErrors& errors) {
  TrustPolicy policy;
  policy.require_signed = require_signed;
  bool ok = true;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    std::string error;
    auto key = s.file.empty() ? parse_public_key(s.key_base64, s.name, error) : load_public_key_file(s.file, s.name, error);
    if (!key) {
      errors.add("$.plugins.trustedPublishers[" + std::to_string(i) + "]", error);
      ok = false;
      continue;
    }
    policy.publishers.push_back(*key);
  }
  if (!ok) return std::nullopt;
  return policy;
}

}  // namespace toolgate
