#include "transport/reader_baton.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

namespace toolgate {

// The put-down protocol uses sequentially consistent atomics throughout. The stand-by disarms
// itself and then looks at `puts`/`down`; a holder stores `puts`/`down` and then looks at
// `armed`. Under sequential consistency at least one of the two sees the other's store, so a
// put-down is never left unwatched.
struct ReaderBaton::State {
  std::function<bool()> read_one;
  std::function<void()> on_tick;
  std::chrono::microseconds handover;
  std::size_t max_inline;

  std::atomic<bool> down{false};            // put down by its holder and not picked up since
  std::atomic<std::uint64_t> puts{0};       // put-downs so far; tells one put-down from the next
  std::atomic<std::size_t> inline_running{0};
  std::atomic<bool> armed{false};           // the stand-by is ticking
  std::atomic<bool> stopped{false};         // end of input: nobody reads any more
  std::atomic<std::uint64_t> handovers{0};

  std::mutex mu;  // only for the stand-by's sleep
  std::condition_variable cv;

  void arm() {
    if (armed.load()) return;
    std::lock_guard<std::mutex> l(mu);
    armed = true;
    cv.notify_one();
  }
};

thread_local ReaderBaton::State* ReaderBaton::held_ = nullptr;
thread_local ReaderBaton::State* ReaderBaton::put_down_ = nullptr;
thread_local std::uint64_t ReaderBaton::put_id_ = 0;

bool ReaderBaton::reading_here() {
  // After end of input nobody reads again, so nobody would flush: hold nothing back.
  if (held_) return !held_->stopped.load();
  State* s = put_down_;
  return s && !s->stopped.load() && s->down.load() && s->puts.load() == put_id_;
}

ReaderBaton::ReaderBaton(std::function<bool()> read_one, std::chrono::microseconds handover, std::size_t max_inline,
                         std::function<void()> on_tick)
    : state_(std::make_shared<State>()) {
  state_->read_one = std::move(read_one);
  state_->on_tick = std::move(on_tick);
  state_->handover = handover;
  state_->max_inline = max_inline;
}

ReaderBaton::~ReaderBaton() {
  std::lock_guard<std::mutex> l(state_->mu);
  state_->stopped = true;
  state_->cv.notify_all();
}

std::uint64_t ReaderBaton::handovers() const { return state_->handovers.load(); }

void ReaderBaton::start() {
  std::thread(&ReaderBaton::standby_loop, state_).detach();
  std::thread(&ReaderBaton::reading_loop, state_).detach();
}

bool ReaderBaton::run_here(const std::function<void()>& task) {
  State* s = held_;
  if (!s) return false;
  if (s->inline_running.fetch_add(1) >= s->max_inline) {
    s->inline_running.fetch_sub(1);
    return false;
  }
  put_id_ = s->puts.fetch_add(1) + 1;
  put_down_ = s;
  s->down.store(true);
  held_ = nullptr;
  s->arm();
  struct PickUp {  // also when the task throws: the count and the baton must not leak
    State* s;
    ~PickUp() {
      put_down_ = nullptr;
      s->inline_running.fetch_sub(1);
      bool expected = true;
      if (s->down.compare_exchange_strong(expected, false)) held_ = s;  // else the stand-by took it
    }
  } pick_up{s};
  task();
  return true;
}

void ReaderBaton::reading_loop(std::shared_ptr<State> state) {
  State* s = state.get();
  held_ = s;
  while (held_ == s && !s->stopped.load()) {
    if (!s->read_one()) {
      std::lock_guard<std::mutex> l(s->mu);
      s->stopped = true;
      s->cv.notify_all();
    }
  }
  held_ = nullptr;
}

void ReaderBaton::standby_loop(std::shared_ptr<State> state) {
  State& s = *state;
  // About 50 ms without a put-down and the stand-by sleeps until the next one.
  const long quiet_limit = std::max<long>(2, static_cast<long>(50'000 / std::max<long>(1, s.handover.count())));
  std::uint64_t last_puts = s.puts.load();
  bool last_down = false;
  long quiet = 0;
  for (;;) {
    std::unique_lock<std::mutex> l(s.mu);
    s.cv.wait(l, [&] { return s.armed.load() || s.stopped.load(); });
    if (s.cv.wait_for(l, s.handover, [&] { return s.stopped.load(); })) {
      l.unlock();
      // End of input. A call running with the baton down may have held output back just
      // before that: keep flushing until every such call is done, then once more.
      while (s.inline_running.load() > 0) {
        if (s.on_tick) s.on_tick();
        std::this_thread::sleep_for(s.handover);
      }
      if (s.on_tick) s.on_tick();
      return;
    }
    l.unlock();

    std::uint64_t puts = s.puts.load();
    bool down = s.down.load();
    // Flush only when the reader made no progress over the last tick (stuck in a long call, or
    // blocked). A reader that keeps going flushes for itself, in larger batches than a tick
    // would make, and a flush from here would turn this thread into a second writer beside it.
    if (puts == last_puts && s.on_tick) s.on_tick();
    // The same put-down seen on two ticks in a row: its call has run for at least one tick.
    if (down && last_down && puts == last_puts) {
      bool expected = true;
      if (s.down.compare_exchange_strong(expected, false)) {
        ++s.handovers;  // before the new reader runs: whoever sees it read sees the count
        try {
          std::thread(&ReaderBaton::reading_loop, state).detach();
          down = false;
        } catch (const std::system_error&) {
          --s.handovers;
          s.down = true;  // no thread to be had now: leave the baton down and try next tick
        }
      }
    }
    quiet = (puts == last_puts && !down) ? quiet + 1 : 0;
    last_puts = puts;
    last_down = down;
    if (quiet < quiet_limit) continue;
    s.armed = false;
    // A put-down that raced with disarming re-arms at once (see the comment on State).
    if (s.puts.load() != last_puts || s.down.load()) s.armed = true;
    quiet = 0;
  }
}

}  // namespace toolgate
