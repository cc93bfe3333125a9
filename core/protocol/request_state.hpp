// Sealed requestState for 2026-07-28 multi round-trip requests (consent). The server hands the
// client an opaque token; the client echoes it with its inputResponses. The token is
// HMAC-SHA-256 authenticated with a server key, bound to the principal, the tool and a digest of
// the canonical arguments, expires after a short lifetime, and is accepted once: a forged,
// replayed, expired or mismatched token is refused with a reason.
// Format: "tg1." base64url(payload JSON) "." base64url(HMAC). Thread-safe.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace toolgate {

struct RequestStateClaims {
  std::string subject;
  std::string tenant;
  std::string tool;
  std::string args_digest;  // sha256 of canonical arguments
};

class RequestStateSealer {
 public:
  // `key` is the HMAC key; empty means "generate a random one for this process". With a key that
  // several processes share (consent.stateKeyFile), a token one of them issued opens in any, so
  // "accepted once" must hold across them: `spent_dir`, a directory they share, then records
  // each used token as a file created with O_EXCL (atomic between processes). Empty: in memory.
  explicit RequestStateSealer(std::string key, std::chrono::seconds lifetime = std::chrono::seconds(300),
                              std::string spent_dir = "");

  std::string seal(const RequestStateClaims& claims);
  // Empty string when valid (and marks it used); otherwise why not.
  std::string open(const std::string& token, const RequestStateClaims& expected);

 private:
  std::string mac(const std::string& payload) const;
  // Records `nonce` (valid until `exp`) as used; empty when it was not used before, else why not.
  std::string spend(const std::string& nonce, std::int64_t exp);
  std::string spend_shared(const std::string& nonce, std::int64_t now);

  std::string key_;
  std::chrono::seconds lifetime_;
  std::mutex mu_;
  std::map<std::string, std::int64_t> used_;  // nonce -> expiry (unix seconds), pruned as they lapse
  std::string spent_dir_;
  std::int64_t next_prune_ = 0;  // when spent_dir_ is next swept of lapsed tokens (unix seconds)
};

std::string args_digest(const boost::json::value& args);

}  // namespace toolgate
