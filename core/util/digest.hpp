// Digests and random identifiers from OpenSSL, shared by the loader (library sha256), audit
// (hash chain, entry ids) and identity (key hashing). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(std::string_view data);
// Lower-case hex SHA-256 of a file's contents; nullopt (and errno set) if it cannot be read.
std::optional<std::string> sha256_file_hex(const std::string& path);
// Cryptographically random bytes as lower-case hex (2*n characters).
std::string random_hex(std::size_t n_bytes);
// A random (version 4) UUID in canonical form.
std::string uuid_v4();
// Constant-time equality for secrets.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace toolgate
