// The stdin reading loop, run by whichever thread holds the baton, so that a thread that reads a
// tool call can run it itself instead of handing it to a worker.
//
// Why: on a small VM a hand-off between threads (a futex wake, a context switch) costs more than
// a quick tool call does, and most calls are quick. So the reading thread puts the baton down,
// runs the call, and picks the baton up again.
// While it runs the call, nobody reads stdin. A stand-by thread checks every `handover` tick. If
// it finds the same put-down still in force on two checks in a row, it takes the baton and
// starts a fresh reading thread. So a slow or hung call delays ping, cancellation and the next
// call by at most two ticks. The thread that loses the baton finishes its call and exits.
//
// The stand-by costs nothing per call: put_down and pick_up are two atomic operations, and the
// stand-by sleeps for good after a quiet spell, woken by the next put-down. Threads running calls
// with the baton down are capped (`max_inline`). Past the cap, run_here() refuses and the caller
// uses its worker pool, whose bounded queue keeps its back-pressure. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace toolgate {

class ReaderBaton {
 public:
  // `read_one` reads and handles one message; it returns false to end the loop (end of input).
  // It runs on whichever thread holds the baton, one at a time.
  // `on_tick` runs on the stand-by thread at each tick over which the reader made no progress
  // (stuck in a call or blocked), and after end of input until the last in-line call is done:
  // the host flushes what the reader held back there (see OutputDeferral).
  ReaderBaton(std::function<bool()> read_one, std::chrono::microseconds handover, std::size_t max_inline,
              std::function<void()> on_tick = nullptr);
  ~ReaderBaton();
  ReaderBaton(const ReaderBaton&) = delete;
  ReaderBaton& operator=(const ReaderBaton&) = delete;

  // Starts the first reading thread and the stand-by thread. Call once.
  void start();

  // On the thread that holds the baton: runs `task` here with the baton put down and returns
  // true. Anywhere else, or when max_inline calls already run this way: returns false and does
  // nothing. A thread whose baton was taken meanwhile stops reading once its message is handled.
  static bool run_here(const std::function<void()>& task);

  // True on the thread that holds the baton, and on a thread running a call with the baton put
  // down until someone picks it up (the stand-by, when the call runs long). Output held back on
  // such a thread is sure to be flushed soon: by the reader before it blocks, or by the
  // stand-by's tick.
  static bool reading_here();

  // Threads that lost the baton to the stand-by so far (for tests and diagnostics).
  std::uint64_t handovers() const;

 private:
  struct State;
  static void reading_loop(std::shared_ptr<State> state);
  static void standby_loop(std::shared_ptr<State> state);

  static thread_local State* held_;  // the baton this thread holds, if any
  static thread_local State* put_down_;      // the baton this thread put down to run a call
  static thread_local std::uint64_t put_id_;  // which put-down that was
  std::shared_ptr<State> state_;
};

}  // namespace toolgate
