// The cap on calls one principal may have running at once (rateLimits.maxInFlightPerPrincipal).
// Unlike the token buckets this is always counted in this process only: an in-flight call belongs
// to the process running it, and a count shared across processes would leak when one dies.
// acquire() returns a move-only guard that releases its slot when destroyed, so every exit path
// of a tools/call (success, error, timeout, exception) gives the slot back.
// Thread-safe. Guards must not outlive the InFlightLimiter that issued them.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace toolgate {

class InFlightLimiter;

class InFlightGuard {
 public:
  InFlightGuard() = default;
  InFlightGuard(InFlightGuard&& other) noexcept;
  InFlightGuard& operator=(InFlightGuard&& other) noexcept;
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;
  ~InFlightGuard() { release(); }

  // False when the principal was already at its cap; message() then says so.
  bool acquired() const { return acquired_; }
  explicit operator bool() const { return acquired_; }
  const std::string& message() const { return message_; }
  // Gives the slot back early (idempotent).
  void release();

 private:
  friend class InFlightLimiter;
  InFlightLimiter* owner_ = nullptr;
  std::string key_;
  bool acquired_ = false;
  std::string message_;
};

class InFlightLimiter {
 public:
  // No cap: every acquire succeeds and nothing is counted.
  explicit InFlightLimiter(std::optional<std::int64_t> max_per_principal)
      : max_(max_per_principal), capped_(max_per_principal.has_value()) {}

  // `key` identifies the principal; `who` is how messages name it.
  InFlightGuard acquire(const std::string& key, const std::string& who);
  // A reloaded policy's cap. Calls running keep their slots and count against the new cap; with
  // no cap before, they were not counted and do not start to be.
  void set_max(std::optional<std::int64_t> max_per_principal);
  // Calls currently counted for `key` (tests).
  std::int64_t count(const std::string& key) const;

 private:
  friend class InFlightGuard;
  void release(const std::string& key);

  std::optional<std::int64_t> max_;
  std::atomic<bool> capped_;  // max_ has a value: read without the lock on the uncapped path
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> running_;  // entries removed at zero
};

}  // namespace toolgate
