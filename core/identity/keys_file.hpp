// The API keys file: a JSON document listing each key's public id, secret hash, subject, tenant,
// scopes, optional expiry and disabled flag.
//
//   {"version": 1, "keys": [{"id": "0123456789ab", "hash": "sha256:<64 hex>",
//     "subject": "alice", "tenant": "acme", "scopes": ["dns.read"],
//     "created": "2026-01-01T00:00:00Z", "expires": "2027-01-01T00:00:00Z", "disabled": false}]}
//
// Reading is strict (unknown fields, wrong types and duplicate ids are errors naming the
// JSONPath) because a key file that half-loads would silently change who may do what. Writing is
// atomic (a 0600 temp file in the same directory, fsync, rename), so a server that re-reads the
// file on every call sees the old or the new version, never a torn one. Values are plain data;
// the functions are thread-safe, but two concurrent writers race (last rename wins).
#pragma once

#include "identity/time_format.hpp"
#include "util/json_reader.hpp"

#include <optional>
#include <string>
#include <vector>

namespace toolgate {

struct ApiKeyRecord {
  std::string id;
  std::string hash;
  std::string subject;
  std::string tenant;
  std::vector<std::string> scopes;
  std::optional<SysTime> created;
  std::optional<SysTime> expires;
  bool disabled = false;
};

struct KeysFile {
  std::vector<ApiKeyRecord> keys;

  ApiKeyRecord* find(const std::string& id);
  const ApiKeyRecord* find(const std::string& id) const;
};

// Parses a keys document. Errors are "$.keys[1].id: duplicate id ..." (no file name), so callers
// can prefix them as they see fit.
std::optional<KeysFile> parse_keys_file(const std::string& text, JsonErrors& errors);
// Reads and parses `path`; each error is prefixed "keys file <path>: ".
std::optional<KeysFile> load_keys_file(const std::string& path, JsonErrors& errors);

std::string serialize_keys_file(const KeysFile& file);
// Atomic replace with mode 0600; on failure returns false and sets `error` (the old file stays).
bool save_keys_file(const std::string& path, const KeysFile& file, std::string& error);

}  // namespace toolgate
