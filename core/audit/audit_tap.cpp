#include "audit/audit_tap.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace toolgate {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr auto kDrainOnStop = std::chrono::milliseconds(500);
}  // namespace

AuditTap::AuditTap(AuditTapConfig config)
    : config_(std::move(config)), transport_(make_tap_transport(config_)), thread_([this] { run(); }) {}

AuditTap::~AuditTap() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AuditTap::publish(std::string_view line) {
  {
    std::lock_guard lk(mu_);
    if (queue_.size() >= config_.queue_size) {
      dropped_.fetch_add(1);
      if (!overflow_reported_) {
        overflow_reported_ = true;
        spdlog::warn("audit tap {}: queue full ({} entries); dropping entries until it drains",
                     config_.describe(), config_.queue_size);
      }
      return;
    }
    queue_.emplace_back(line);
  }
  cv_.notify_one();
}

void AuditTap::run() {
  auto backoff = std::chrono::duration_cast<Clock::duration>(kFirstBackoff);
  Clock::time_point retry_at{};
  Clock::time_point stop_deadline = Clock::time_point::max();
  std::unique_lock lk(mu_);
  for (;;) {
    if (stop_ && stop_deadline == Clock::time_point::max()) stop_deadline = Clock::now() + kDrainOnStop;
    if (stop_ && (queue_.empty() || down_.load() || Clock::now() >= stop_deadline)) {
      // The entries are in the audit files; only this copy is lost. Say how many.
      if (!queue_.empty())
        spdlog::warn("audit tap {}: {} queued entr{} not delivered at shutdown (they are in the audit files)",
                     config_.describe(), queue_.size(), queue_.size() == 1 ? "y" : "ies");
      return;
    }
    if (queue_.empty()) {
      cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
      continue;
    }
    if (!stop_ && Clock::now() < retry_at) {
      cv_.wait_until(lk, retry_at, [this] { return stop_; });
      continue;
    }
    std::string line = std::move(queue_.front());
    queue_.pop_front();
    if (queue_.size() < config_.queue_size / 2) overflow_reported_ = false;
    lk.unlock();
    std::string error;
    TapTransport::Result r = transport_->send(line, error);
    lk.lock();
    if (r == TapTransport::Result::sent) {
      sent_.fetch_add(1);
      backoff = kFirstBackoff;
      if (down_.exchange(false)) spdlog::info("audit tap {}: delivering again", config_.describe());
    } else if (r == TapTransport::Result::drop) {
      dropped_.fetch_add(1);
      spdlog::warn("audit tap {}: dropped an entry: {}", config_.describe(), error);
    } else {
      queue_.push_front(std::move(line));
      retry_at = Clock::now() + backoff;
      backoff = std::min<Clock::duration>(backoff * 2, kMaxBackoff);
      if (!down_.exchange(true))
        spdlog::warn("audit tap {}: {}; queueing up to {} entries and retrying", config_.describe(), error,
                     config_.queue_size);
    }
  }
}

}  // namespace toolgate
