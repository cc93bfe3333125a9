#include "jobs/deadline_watch.hpp"

namespace toolgate {

DeadlineWatch::DeadlineWatch() : thread_([this] { run(); }) {}

DeadlineWatch::~DeadlineWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

std::uint64_t DeadlineWatch::add(Clock::time_point when, std::function<void()> fire) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t id = next_id_++;
  // Wake the watch thread only if it would otherwise sleep past this deadline. It may be sleeping
  // until a deadline that was cancelled since; it then wakes, finds nothing due and sleeps on. That
  // costs one wake per timeout period instead of a context switch per call.
  due_.emplace(std::make_pair(when, id), std::move(fire));
  when_[id] = when;
  if (when < wakes_at_) {
    wakes_at_ = when;
    changed_.notify_all();
  }
  return id;
}

void DeadlineWatch::cancel(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = when_.find(id);
  if (it == when_.end()) return;
  due_.erase({it->second, id});
  when_.erase(it);
}

void DeadlineWatch::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      wakes_at_ = Clock::time_point::max();
      changed_.wait(lock);
      continue;
    }
    auto first = due_.begin();
    // Copy the deadline: cancel() may erase this entry while wait_until sleeps on it.
    const auto when = first->first.first;
    if (Clock::now() < when) {
      wakes_at_ = when;
      changed_.wait_until(lock, when);
      continue;
    }
    auto fire = std::move(first->second);
    when_.erase(first->first.second);
    due_.erase(first);
    lock.unlock();
    fire();
    lock.lock();
  }
}

}  // namespace toolgate
