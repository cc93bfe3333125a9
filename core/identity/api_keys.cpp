#include "identity/api_keys.hpp"

#include "util/digest.hpp"

namespace toolgate {

namespace {
bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
constexpr std::string_view kHashPrefix = "sha256:";
}  // namespace

bool is_api_key_id(std::string_view id) { return id.size() == kApiKeyIdChars && is_lower_hex(id); }

bool is_api_key_hash(std::string_view hash) {
  return hash.size() == kHashPrefix.size() + 64 && hash.substr(0, kHashPrefix.size()) == kHashPrefix &&
         is_lower_hex(hash.substr(kHashPrefix.size()));
}

NewApiKey generate_api_key() {
  NewApiKey k;
  k.id = random_hex(kApiKeyIdChars / 2);
  std::string secret = random_hex(32);
  k.key = std::string(kApiKeyPrefix) + k.id + "_" + secret;
  k.hash = hash_api_key_secret(secret);
  return k;
}

std::optional<ParsedApiKey> parse_api_key(std::string_view key) {
  if (key.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) return std::nullopt;
  key.remove_prefix(kApiKeyPrefix.size());
  if (key.size() < kApiKeyIdChars + 2 || key[kApiKeyIdChars] != '_') return std::nullopt;
  std::string_view id = key.substr(0, kApiKeyIdChars);
  if (!is_api_key_id(id)) return std::nullopt;
  return ParsedApiKey{std::string(id), std::string(key.substr(kApiKeyIdChars + 1))};
}

std::string hash_api_key_secret(std::string_view secret) { return std::string(kHashPrefix) + sha256_hex(secret); }

bool api_key_secret_matches(std::string_view secret, std::string_view stored_hash) {
  return constant_time_equal(hash_api_key_secret(secret), stored_hash);
}

}  // namespace toolgate
