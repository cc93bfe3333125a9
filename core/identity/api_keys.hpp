// The API key format and how a key is checked against what the keys file stores.
//
// A key reads `tgk_<id>_<secret>`: `id` is 12 lower-case hex characters, public, and only used to
// find the record; `secret` is 32 bytes from the OpenSSL CSPRNG as 64 hex characters. The keys
// file stores "sha256:<hex of sha256(secret)>", never the secret. A plain fast hash is enough:
// slow KDFs (bcrypt, scrypt, argon2) exist to stop guessing of low-entropy human passwords,
// while guessing a 256-bit random secret is infeasible at any hash speed; a fast hash also keeps
// the per-call check in microseconds. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

inline constexpr std::string_view kApiKeyPrefix = "tgk_";
inline constexpr std::size_t kApiKeyIdChars = 12;

struct ParsedApiKey {
  std::string id;
  std::string secret;
};

struct NewApiKey {
  std::string key;   // the full credential, shown to the operator exactly once
  std::string id;
  std::string hash;  // what goes into the keys file
};

NewApiKey generate_api_key();
// nullopt unless `key` is tgk_ + 12 lower-case hex + _ + a non-empty secret.
std::optional<ParsedApiKey> parse_api_key(std::string_view key);
// "sha256:<lower-case hex>".
std::string hash_api_key_secret(std::string_view secret);
// Constant-time comparison of the secret's hash with the stored hash.
bool api_key_secret_matches(std::string_view secret, std::string_view stored_hash);

bool is_api_key_id(std::string_view id);
bool is_api_key_hash(std::string_view hash);

}  // namespace toolgate
