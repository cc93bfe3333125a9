// The policy file's `audit` section, parsed strictly (unknown fields are errors, every error
// names its JSONPath). Shape, with defaults:
//   "audit": {
//     "enabled": true,
//     "directory": "./audit",            relative paths resolve against the policy file's dir
//     "maxFileBytes": 10485760,          >= 4096; a file rotates before it would pass this
//     "maxFiles": 10,                    1..1000 rotated files kept besides audit.jsonl
//     "hmacKeyFile": "keys/audit.key",   optional; chain uses HMAC-SHA-256 with its bytes
//     "fsync": false,                    fsync(2) after every entry (flush always happens)
//     "maxInputBytes": 65536,            >= 256; a larger input is recorded as its size and SHA-256
//     "failMode": "closed",              "closed": refuse the call; "open": log and carry on
//     "redact": { "keys": [...], "patterns": [...],          replace the defaults
//                 "extraKeys": [...], "extraPatterns": [...] } add to them
//     "taps": [ { "type": "syslog", "facility": "local0" },
//               { "type": "udp", "address": "127.0.0.1:5140" },
//               { "type": "tcp", "address": "[::1]:5170", "queueSize": 10000 } ]
//   }
// Plain value types; parse on one thread, then share read-only.
#pragma once

#include "util/json_reader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace toolgate {

struct AuditTapConfig {
  enum class Type { syslog, udp, tcp };
  Type type = Type::syslog;
  std::string host;          // numeric IPv4/IPv6 address (udp/tcp); "localhost" becomes 127.0.0.1
  std::uint16_t port = 0;    // udp/tcp
  int facility = 0;          // syslog facility constant (LOG_LOCAL0, ...), syslog only
  std::string facility_name; // as written, syslog only
  std::size_t queue_size = 10000;  // entries buffered while the collector is slow or down
  std::string describe() const;    // "udp 127.0.0.1:5140", "syslog local0"
};

struct AuditConfig {
  enum class FailMode { closed, open };

  bool enabled = true;
  std::string directory;  // absolute or relative to the process cwd once resolved
  std::uint64_t max_file_bytes = 10ull * 1024 * 1024;
  std::size_t max_files = 10;
  std::optional<std::string> hmac_key_file;  // resolved path
  std::optional<std::string> hmac_key;       // loaded key bytes
  bool fsync = false;
  // Larger inputs (serialised, after redaction) are recorded as their size and SHA-256 only.
  std::size_t max_input_bytes = 64 * 1024;
  FailMode fail_mode = FailMode::closed;
  std::vector<std::string> redact_keys;
  std::vector<std::string> redact_patterns;
  std::vector<AuditTapConfig> taps;
};

// Defaults only (used when the policy has no `audit` object).
AuditConfig default_audit_config(const std::string& base_dir);

// Reads the `audit` object behind `r` (which may be absent: defaults), adding any problems to
// r.errors() and calling r.finish(). base_dir resolves relative directory and key-file paths.
// The HMAC key file is read here, so an unreadable key is a config error.
AuditConfig parse_audit_config(JsonObjectReader& r, const std::string& base_dir);

// "host:port" / "[v6]:port" -> (host, port); nullopt unless the host is a numeric IP or localhost.
std::optional<std::pair<std::string, std::uint16_t>> parse_tap_address(const std::string& text);

}  // namespace toolgate
