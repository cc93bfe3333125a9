// A real-time copy of the audit trail for a SIEM: every entry's JSON line goes to syslog or a
// local UDP/TCP collector. publish() only appends to a bounded in-memory queue; one background
// thread per tap drains it, so a slow, dead or absent collector never slows or blocks a tool
// call. While the collector is unreachable entries stay queued and delivery is retried with
// exponential backoff (100 ms doubling to 5 s); when the queue is full new entries are dropped
// and counted. The files stay the record of truth; the tap is best effort.
// Conditions go to stderr (spdlog default logger) once per change, not per entry.
// Thread-safe: publish() and the counters may be called from any thread. The destructor stops
// the thread after at most about a second of draining.
#pragma once

#include "audit/audit_config.hpp"
#include "audit/tap_transport.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace toolgate {

class AuditTap {
 public:
  explicit AuditTap(AuditTapConfig config);
  ~AuditTap();
  AuditTap(const AuditTap&) = delete;
  AuditTap& operator=(const AuditTap&) = delete;

  void publish(std::string_view line);

  std::uint64_t sent() const { return sent_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }
  bool connected() const { return !down_.load(); }
  const AuditTapConfig& config() const { return config_; }

 private:
  void run();

  AuditTapConfig config_;
  std::unique_ptr<TapTransport> transport_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  bool overflow_reported_ = false;
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> down_{false};
  std::thread thread_;
};

}  // namespace toolgate
