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
  // `key` is the HMAC key; empty means "generate a random one for this process".
  explicit RequestStateSealer(std::string key, std::chrono::seconds lifetime = std::chrono::seconds(300));

  std::string seal(const RequestStateClaims& claims);
  // Empty string when valid (and marks it used); otherwise why not.
  std::string open(const std::string& token, const RequestStateClaims& expected);

 private:
  std::string mac(const std::string& payload) const;

  std::string key_;
  std::chrono::seconds lifetime_;
  std::mutex mu_;
  std::map<std::string, std::int64_t> used_;  // nonce -> expiry (unix seconds), pruned as they lapse
};

std::string args_digest(const boost::json::value& args);

}  // namespace toolgate
