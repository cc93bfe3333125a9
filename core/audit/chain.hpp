// The hash chain that makes audit files tamper-evident: each entry's hash covers the previous
// entry's hash and the entry's canonical text (audit_entry.hpp), so editing, deleting,
// inserting or reordering any entry breaks every link after it.
//
//   hash = hex( SHA-256(prev + "\n" + canonical) )              without a key
//   hash = hex( HMAC-SHA-256(key, prev + "\n" + canonical) )    with hmacKeyFile
//
// The first entry ever has prev = 64 zeros. A ChainHasher keeps its OpenSSL contexts between
// calls (it is on every append's critical path), so it is NOT thread-safe: one per writer or
// verifier; the free functions are.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

class ChainHasher {
 public:
  // No key: plain SHA-256. A key (raw bytes): HMAC-SHA-256.
  explicit ChainHasher(std::optional<std::string> hmac_key = std::nullopt);
  ~ChainHasher();
  ChainHasher(const ChainHasher&) = delete;
  ChainHasher& operator=(const ChainHasher&) = delete;

  std::string link(std::string_view prev, std::string_view canonical);
  // The same into a buffer, without allocating (the audit writer's path, once per entry).
  void link_into(char (&hex_out)[64], std::string_view prev, std::string_view canonical);
  bool keyed() const { return keyed_; }

 private:
  bool keyed_;
  struct Contexts;
  std::unique_ptr<Contexts> ctx_;
};

// A written line cut back into the hashed canonical text and the stored hash. nullopt unless the
// line is `{...,"hash":"<64 lower-case hex>"}`.
struct SplitLine {
  std::string canonical;
  std::string hash;
};
std::optional<SplitLine> split_entry_line(std::string_view line);

bool is_hex64(std::string_view s);

// Reads an HMAC key file: its bytes with trailing whitespace (a final newline) removed. At least
// 16 bytes are required. On failure returns nullopt and sets `error` to a sentence naming the file.
std::optional<std::string> load_hmac_key(const std::string& path, std::string& error);

}  // namespace toolgate
