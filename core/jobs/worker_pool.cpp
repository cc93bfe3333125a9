#include "jobs/worker_pool.hpp"

#include <thread>

namespace toolgate {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_capacity, std::size_t max_stand_ins)
    : capacity_(queue_capacity), max_stand_ins_(max_stand_ins) {
  for (std::size_t i = 0; i < threads; ++i) spawn();
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::spawn() { std::thread([this] { run(); }).detach(); }

bool WorkerPool::submit(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(mu_);
  has_room_.wait(lock, [&] { return stopping_ || queue_.size() < capacity_; });
  if (stopping_) return false;
  queue_.push_back(std::move(task));
  has_work_.notify_one();
  return true;
}

bool WorkerPool::lend_stand_in() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stand_ins_ >= max_stand_ins_) return false;
  ++stand_ins_;
  spawn();
  return true;
}

void WorkerPool::return_stand_in() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stand_ins_ == 0) return;
  --stand_ins_;
  ++excess_;
  has_work_.notify_one();
}

void WorkerPool::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  has_room_.notify_all();
}

std::size_t WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_ + queue_.size();
}

void WorkerPool::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    has_work_.wait(lock, [&] { return !queue_.empty() || excess_ > 0; });
    if (excess_ > 0) {
      --excess_;
      return;
    }
    auto task = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
    has_room_.notify_one();
    lock.unlock();
    task();
    lock.lock();
    --busy_;
  }
}

}  // namespace toolgate
