#include "jobs/worker_pool.hpp"

#include <thread>

namespace toolgate {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queue_capacity, std::size_t max_stand_ins)
    : state_(std::make_shared<State>()) {
  state_->capacity = queue_capacity;
  state_->max_stand_ins = max_stand_ins;
  for (std::size_t i = 0; i < threads; ++i) spawn();
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::spawn() { std::thread(&WorkerPool::run, state_).detach(); }

bool WorkerPool::submit(std::function<void()> task) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  s.has_room.wait(lock, [&] { return s.stopping || s.queue.size() < s.capacity; });
  if (s.stopping) return false;
  s.queue.push_back(std::move(task));
  s.has_work.notify_one();
  return true;
}

bool WorkerPool::lend_stand_in() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->stopping || state_->stand_ins >= state_->max_stand_ins) return false;
  ++state_->stand_ins;
  spawn();
  return true;
}

void WorkerPool::return_stand_in() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->stand_ins == 0) return;
  --state_->stand_ins;
  ++state_->excess;
  state_->has_work.notify_one();
}

void WorkerPool::stop() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stopping = true;
  state_->has_room.notify_all();
  state_->has_work.notify_all();
}

std::size_t WorkerPool::busy() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->busy + state_->queue.size();
}

void WorkerPool::run(std::shared_ptr<State> state) {
  State& s = *state;
  std::unique_lock<std::mutex> lock(s.mu);
  for (;;) {
    s.has_work.wait(lock, [&] { return !s.queue.empty() || s.excess > 0 || s.stopping; });
    if (s.excess > 0) {
      --s.excess;
      return;
    }
    if (s.queue.empty()) return;  // stopping and drained
    auto task = std::move(s.queue.front());
    s.queue.pop_front();
    ++s.busy;
    s.has_room.notify_one();
    lock.unlock();
    task();
    lock.lock();
    --s.busy;
  }
}

}  // namespace toolgate
