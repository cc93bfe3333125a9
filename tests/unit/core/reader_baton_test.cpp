// ReaderBaton: the thread that reads a message runs its call itself, and a call that runs long
// hands reading over to a fresh thread. Every wait below is on an event the code under test
// causes; the generous timeouts only turn a hang into a failure. Each test keeps its state in a
// shared_ptr the reading function holds, because reading threads may outlive the test body.
#include "transport/reader_baton.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace toolgate {
namespace {

using namespace std::chrono_literals;
constexpr auto kGuard = 20s;  // only ever reached when the feature is broken

template <class T>
bool ready(std::future<T>& f) {
  return f.wait_for(kGuard) == std::future_status::ready;
}

// A scripted input: read() takes the next message, blocking until there is one.
struct Input {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> messages;
  void push(std::string m) {
    std::lock_guard l(mu);
    messages.push_back(std::move(m));
    cv.notify_all();
  }
  std::string read() {
    std::unique_lock l(mu);
    cv.wait(l, [&] { return !messages.empty(); });
    std::string m = messages.front();
    messages.pop_front();
    return m;
  }
};

// An event one thread signals once and others wait for (bounded by kGuard).
struct Gate {
  std::promise<void> p;
  std::shared_future<void> f = p.get_future().share();
  void open() { p.set_value(); }
  void wait() const { f.wait_for(kGuard); }
};

TEST(ReaderBaton, RunHereIsRefusedOffTheReadingThread) {
  bool ran = false;
  EXPECT_FALSE(ReaderBaton::run_here([&] { ran = true; }));
  EXPECT_FALSE(ran);
  EXPECT_FALSE(ReaderBaton::reading_here());
}

TEST(ReaderBaton, QuickCallRunsOnTheReadingThreadWhichKeepsReading) {
  struct World {
    Input in;
    int n = 0;
    bool ran = false;
    std::promise<std::thread::id> reader, call, next;
    std::promise<bool> reading_in_call;
  };
  auto w = std::make_shared<World>();
  // A handover tick far longer than the test: the stand-by never takes over here.
  ReaderBaton baton(
      [w] {
        std::string m = w->in.read();
        if (m == "eof") return false;
        if (w->n++ == 0) {
          w->reader.set_value(std::this_thread::get_id());
          w->ran = ReaderBaton::run_here([&] {
            w->call.set_value(std::this_thread::get_id());
            w->reading_in_call.set_value(ReaderBaton::reading_here());
          });
        } else {
          w->next.set_value(std::this_thread::get_id());
        }
        return true;
      },
      std::chrono::hours(1), 4);
  baton.start();
  w->in.push("call");
  w->in.push("next");
  auto next = w->next.get_future();
  ASSERT_TRUE(ready(next));
  std::thread::id reader = w->reader.get_future().get();
  EXPECT_TRUE(w->ran);
  EXPECT_EQ(w->call.get_future().get(), reader) << "the call ran on another thread";
  EXPECT_TRUE(w->reading_in_call.get_future().get()) << "a quick call's output must be held back for a batch";
  EXPECT_EQ(next.get(), reader) << "the reader did not pick the baton up again";
  EXPECT_EQ(baton.handovers(), 0u);
  w->in.push("eof");
}

TEST(ReaderBaton, LongCallHandsReadingToAnotherThread) {
  struct World {
    Input in;
    Gate release, next_seen;
    std::promise<std::thread::id> slow, next;
    std::promise<bool> holding_back_after_handover;
  };
  auto w = std::make_shared<World>();
  ReaderBaton baton(
      [w] {
        std::string m = w->in.read();
        if (m == "eof") return false;
        if (m == "slow") {
          ReaderBaton::run_here([&] {
            w->slow.set_value(std::this_thread::get_id());
            // Another thread reading "next" while this call runs: only a handover allows it.
            w->next_seen.wait();
            w->holding_back_after_handover.set_value(ReaderBaton::reading_here());
            w->release.wait();
          });
        } else {
          w->next.set_value(std::this_thread::get_id());
          w->next_seen.open();
        }
        return true;
      },
      1ms, 4);
  baton.start();
  w->in.push("slow");
  w->in.push("next");
  auto next = w->next.get_future();
  ASSERT_TRUE(ready(next)) << "nobody read on while a call ran";
  EXPECT_NE(next.get(), w->slow.get_future().get());
  auto holding = w->holding_back_after_handover.get_future();
  ASSERT_TRUE(ready(holding));
  EXPECT_FALSE(holding.get()) << "a thread whose baton was taken must not hold output back";
  EXPECT_GE(baton.handovers(), 1u);
  w->release.open();
  w->in.push("eof");
}

TEST(ReaderBaton, CapOnInlineCallsSendsTheRestElsewhere) {
  struct World {
    Input in;
    Gate release;
    std::promise<void> first_started;
    std::promise<bool> second_ran_here;
  };
  auto w = std::make_shared<World>();
  ReaderBaton baton(
      [w] {
        std::string m = w->in.read();
        if (m == "eof") return false;
        if (m == "first") {
          ReaderBaton::run_here([&] {
            w->first_started.set_value();
            w->release.wait();
          });
        } else {
          w->second_ran_here.set_value(ReaderBaton::run_here([] {}));
        }
        return true;
      },
      1ms, 1);
  baton.start();
  w->in.push("first");
  auto started = w->first_started.get_future();
  ASSERT_TRUE(ready(started));
  w->in.push("second");
  auto second = w->second_ran_here.get_future();
  ASSERT_TRUE(ready(second));
  EXPECT_FALSE(second.get()) << "max_inline 1 with one call running must refuse a second";
  w->release.open();
  w->in.push("eof");
}

TEST(ReaderBaton, TicksFlushWhileACallIsStuckAndAfterEndOfInput) {
  struct World {
    Input in;
    Gate release;
    std::mutex mu;
    std::condition_variable cv;
    int ticks = 0;
    bool ended = false;
  };
  auto w = std::make_shared<World>();
  ReaderBaton baton(
      [w] {
        std::string m = w->in.read();
        if (m == "eof") {
          std::lock_guard l(w->mu);
          w->ended = true;
          w->cv.notify_all();
          return false;
        }
        ReaderBaton::run_here([&] { w->release.wait(); });
        return true;
      },
      1ms, 1,
      [w] {
        std::lock_guard l(w->mu);
        ++w->ticks;
        w->cv.notify_all();
      });
  baton.start();
  w->in.push("stuck");
  std::unique_lock l(w->mu);
  ASSERT_TRUE(w->cv.wait_for(l, kGuard, [&] { return w->ticks >= 3; })) << "no flush while a call was stuck";
  l.unlock();
  w->in.push("eof");  // read by the thread that took over
  l.lock();
  ASSERT_TRUE(w->cv.wait_for(l, kGuard, [&] { return w->ended; }));
  int at_end = w->ticks;
  l.unlock();
  w->release.open();  // the stuck call ends after end of input: its output gets flushed
  l.lock();
  EXPECT_TRUE(w->cv.wait_for(l, kGuard, [&] { return w->ticks > at_end; })) << "no flush after end of input";
}

}  // namespace
}  // namespace toolgate
