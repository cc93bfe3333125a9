// One thread that fires callbacks at deadlines (call timeouts, consent waits). Callbacks run on
// the watch thread and must be short: they flag a call and respond, they never call plugins.
// cancel() after completion is harmless. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace toolgate {

class DeadlineWatch {
 public:
  using Clock = std::chrono::steady_clock;
  DeadlineWatch();
  ~DeadlineWatch();

  std::uint64_t add(Clock::time_point when, std::function<void()> fire);
  void cancel(std::uint64_t id);

 private:
  void run();

  std::mutex mu_;
  // When the watch thread wakes by itself next (max(): not until notified). add() notifies only
  // for an earlier deadline, so a steady stream of calls with the same timeout wakes it never.
  Clock::time_point wakes_at_ = Clock::time_point::max();
  std::condition_variable changed_;
  std::map<std::pair<Clock::time_point, std::uint64_t>, std::function<void()>> due_;
  std::unordered_map<std::uint64_t, Clock::time_point> when_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace toolgate
