// The pool that runs tool calls, so the reader keeps serving ping, cancellation and other calls
// while plugins work. submit() blocks when the queue is full: back-pressure on a client that
// pipelines faster than tools finish, instead of unbounded memory.
//
// A plugin that never returns keeps its thread forever. When a call overruns its deadline the
// host lends the pool a stand-in thread (lend_stand_in) so capacity is not lost; when the stuck
// call finally returns its thread retires (return_stand_in). Stand-ins are capped, so a plugin
// that hangs on every call cannot make the host spawn threads without bound.
//
// Threads are detached and share the pool's state through a shared_ptr: shutdown never waits on
// a plugin that will not return, and destroying the pool is safe while such a thread is still
// inside a task (it exits when the task returns). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
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
  // Stops taking tasks; queued tasks still run, then idle threads exit.
  void stop();
  std::size_t busy() const;

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable has_work, has_room;
    std::deque<std::function<void()>> queue;
    std::size_t capacity = 0;
    std::size_t max_stand_ins = 0;
    std::size_t stand_ins = 0;
    std::size_t excess = 0;  // threads that should exit after their current task
    std::size_t busy = 0;
    bool stopping = false;
  };
  static void run(std::shared_ptr<State> state);
  void spawn();

  std::shared_ptr<State> state_;
};

}  // namespace toolgate
