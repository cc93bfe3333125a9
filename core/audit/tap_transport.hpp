// How one audit tap delivers a JSON line: syslog(3), a UDP datagram, or a newline-terminated
// line over a TCP connection (non-blocking connect and bounded waits, so a dead or stalled
// collector costs the tap thread at most about a second per attempt and never a caller).
// A transport belongs to exactly one AuditTap thread; not thread-safe.
#pragma once

#include "audit/audit_config.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace toolgate {

class TapTransport {
 public:
  enum class Result { sent, retry_later, drop };
  virtual ~TapTransport() = default;
  // Delivers one entry. retry_later: the collector is unreachable now (keep the entry queued,
  // back off); drop: this entry can never be delivered (e.g. too large for a datagram).
  virtual Result send(std::string_view line, std::string& error) = 0;
};

std::unique_ptr<TapTransport> make_tap_transport(const AuditTapConfig& config);

}  // namespace toolgate
