#include "ratelimit/inflight.hpp"

#include <utility>

namespace toolgate {

InFlightGuard::InFlightGuard(InFlightGuard&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      key_(std::move(other.key_)),
      acquired_(std::exchange(other.acquired_, false)),
      message_(std::move(other.message_)) {}

InFlightGuard& InFlightGuard::operator=(InFlightGuard&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = std::move(other.key_);
    acquired_ = std::exchange(other.acquired_, false);
    message_ = std::move(other.message_);
  }
  return *this;
}

void InFlightGuard::release() {
  if (owner_ && acquired_) owner_->release(key_);
  owner_ = nullptr;
  acquired_ = false;
}

InFlightGuard InFlightLimiter::acquire(const std::string& key, const std::string& who) {
  InFlightGuard g;
  // Without a cap nothing is counted, and no lock is taken on the way of every call.
  if (!capped_.load(std::memory_order_acquire)) {
    g.acquired_ = true;
    return g;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!max_) {
    g.acquired_ = true;  // nothing counted, nothing to release
    return g;
  }
  std::int64_t& n = running_[key];
  if (n >= *max_) {
    if (n == 0) running_.erase(key);
    g.message_ = "too many calls in flight for " + who + " (limit " + std::to_string(*max_) +
                 " at a time); retry once one of them has ended (a call past its timeout still counts until "
                 "its plugin returns)";
    return g;
  }
  ++n;
  g.owner_ = this;
  g.key_ = key;
  g.acquired_ = true;
  return g;
}

void InFlightLimiter::release(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(key);
  if (it == running_.end()) return;
  if (--it->second <= 0) running_.erase(it);
}

std::int64_t InFlightLimiter::count(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = running_.find(key);
  return it == running_.end() ? 0 : it->second;
}

void InFlightLimiter::set_max(std::optional<std::int64_t> max_per_principal) {
  std::lock_guard<std::mutex> lock(mu_);
  max_ = max_per_principal;
  capped_.store(max_.has_value(), std::memory_order_release);
}

}  // namespace toolgate
