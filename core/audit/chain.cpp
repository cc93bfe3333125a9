#include "audit/chain.hpp"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace toolgate {

namespace {
constexpr std::string_view kHashOpen = ",\"hash\":\"";
constexpr std::size_t kHashSuffixLen = kHashOpen.size() + 64 + 2;  // ,"hash":"<64>"}

constexpr unsigned kDigestBytes = 32;  // SHA-256, keyed or not

void put_hex(char (&out)[64], const unsigned char* p) {
  static const char* digits = "0123456789abcdef";
  for (unsigned i = 0; i < kDigestBytes; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
}
}  // namespace

struct ChainHasher::Contexts {
  EVP_MD_CTX* md = nullptr;
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* mac_ctx = nullptr;
  ~Contexts() {
    EVP_MD_CTX_free(md);
    EVP_MAC_CTX_free(mac_ctx);
    EVP_MAC_free(mac);
  }
};

namespace {
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // fetched once, never freed
  return md;
}
[[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string(what) + " failed"); }
}  // namespace

ChainHasher::ChainHasher(std::optional<std::string> hmac_key)
    : keyed_(hmac_key.has_value()), ctx_(std::make_unique<Contexts>()) {
  if (!keyed_) {
    ctx_->md = EVP_MD_CTX_new();
    if (!ctx_->md || !sha256_md()) fail("SHA-256 setup");
    return;
  }
  ctx_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  ctx_->mac_ctx = ctx_->mac ? EVP_MAC_CTX_new(ctx_->mac) : nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (!ctx_->mac_ctx ||
      EVP_MAC_init(ctx_->mac_ctx, reinterpret_cast<const unsigned char*>(hmac_key->data()), hmac_key->size(),
                   params) != 1)
    fail("HMAC-SHA-256 setup");
}

ChainHasher::~ChainHasher() = default;

std::string ChainHasher::link(std::string_view prev, std::string_view canonical) {
  char out[64];
  link_into(out, prev, canonical);
  return std::string(out, sizeof out);
}

void ChainHasher::link_into(char (&hex_out)[64], std::string_view prev, std::string_view canonical) {
  unsigned char md[EVP_MAX_MD_SIZE];
  auto bytes = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  if (!keyed_) {
    unsigned int len = 0;
    if (EVP_DigestInit_ex(ctx_->md, sha256_md(), nullptr) != 1 || EVP_DigestUpdate(ctx_->md, prev.data(), prev.size()) != 1 ||
        EVP_DigestUpdate(ctx_->md, "\n", 1) != 1 || EVP_DigestUpdate(ctx_->md, canonical.data(), canonical.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_->md, md, &len) != 1 || len != kDigestBytes)
      fail("SHA-256");
    return put_hex(hex_out, md);
  }
  std::size_t len = 0;
  // Re-initialising without a key keeps the key set up in the constructor.
  if (EVP_MAC_init(ctx_->mac_ctx, nullptr, 0, nullptr) != 1 || EVP_MAC_update(ctx_->mac_ctx, bytes(prev), prev.size()) != 1 ||
      EVP_MAC_update(ctx_->mac_ctx, bytes("\n"), 1) != 1 ||
      EVP_MAC_update(ctx_->mac_ctx, bytes(canonical), canonical.size()) != 1 ||
      EVP_MAC_final(ctx_->mac_ctx, md, &len, sizeof md) != 1 || len != kDigestBytes)
    fail("HMAC-SHA-256");
  put_hex(hex_out, md);
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::optional<SplitLine> split_entry_line(std::string_view line) {
  if (line.size() < kHashSuffixLen + 2 || line.front() != '{' || line.back() != '}') return std::nullopt;
  std::size_t at = line.size() - kHashSuffixLen;
  if (line.substr(at, kHashOpen.size()) != kHashOpen) return std::nullopt;
  std::string_view hash = line.substr(at + kHashOpen.size(), 64);
  if (!is_hex64(hash) || line[line.size() - 2] != '"') return std::nullopt;
  SplitLine out;
  out.canonical.reserve(at + 1);
  out.canonical.append(line.substr(0, at)).push_back('}');
  out.hash = std::string(hash);
  return out;
}

std::optional<std::string> load_hmac_key(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read HMAC key file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t'))
    key.pop_back();
  if (key.size() < 16) {
    error = "HMAC key file " + path + " holds " + std::to_string(key.size()) +
            " bytes; at least 16 are required";
    return std::nullopt;
  }
  return key;
}

}  // namespace toolgate
