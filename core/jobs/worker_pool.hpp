// The pool that runs tool calls, so the reader keeps serving ping, cancellation and other calls
// while plugins work. submit() blocks when the queue is full: back-pressure on a client that
// pipelines faster than tools finish, instead of unbounded memory.
//
// A plugin that never returns keeps its thread forever. When a call overruns its deadline the
// host lends the pool a stand-in thread (lend_stand_in) so capacity is not lost; when the stuck
// call finally returns its thread retires (return_stand_in). Stand-ins are capped, so a plugin
// that hangs on every call cannot make the host spawn threads without bound.
// Threads are detached: shutdown never waits on a plugin that will not return. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace toolgate {

class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t queue_capacity, std::size_t max_stand_ins = 64);
  ~WorkerPool();

  // Returns false if the pool is stopping.
  bool submit(std::function<void()> task);
  bool lend_stand_in();
  void return_stand_in();
  // Stops taking tasks; queued tasks still run.
  void stop();
  std::size_t busy() const;

 private:
  void spawn();
  void run();

  mutable std::mutex mu_;
  std::condition_variable has_work_, has_room_;
  std::deque<std::function<void()>> queue_;
  std::size_t capacity_;
  std::size_t max_stand_ins_;
  std::size_t stand_ins_ = 0;
  std::size_t excess_ = 0;  // threads that should exit after their current task
  std::size_t busy_ = 0;
  bool stopping_ = false;
};

}  // namespace toolgate
