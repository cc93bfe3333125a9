// The worker pool and the deadline watch (core/jobs/worker_pool.hpp, deadline_watch.hpp): tasks
// all run, back-pressure, stop, stand-in threads for stuck calls, and deadlines that fire in time
// order unless cancelled. Synchronisation is by promises and condition variables only; the
// timeouts below bound a failing test, they never order events.
#include "jobs/deadline_watch.hpp"
#include "jobs/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace toolgate {
namespace {

using namespace std::chrono_literals;
constexpr auto kBound = 30s;  // only reached when a test is failing


// A task that says when it started and then waits until it is released (a plugin that hangs).
// The task holds its own copy of the release future: the Blocker may be gone when it wakes.
struct Blocker {
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::function<void()> task() {
    return [this, r = released] {
      started.set_value();
      r.wait();
    };
  }
};

template <typename T>
bool ready(std::future<T>& f) { return f.wait_for(kBound) == std::future_status::ready; }

TEST(WorkerPool, AllTasksRun) {
  WorkerPool pool(2, 4);  // fewer queue slots than tasks: submit applies back-pressure
  constexpr int kTasks = 200;
  std::atomic<int> ran{0};
  std::promise<void> all;
  for (int i = 0; i < kTasks; ++i)
    ASSERT_TRUE(pool.submit([&] {
      if (++ran == kTasks) all.set_value();
    }));
  auto f = all.get_future();
  ASSERT_TRUE(ready(f));
  EXPECT_EQ(ran.load(), kTasks);
}

TEST(WorkerPool, TasksRunConcurrentlyOnSeveralThreads) {
  WorkerPool pool(2, 4);
  Blocker a, b;
  ASSERT_TRUE(pool.submit(a.task()));
  ASSERT_TRUE(pool.submit(b.task()));
  auto sa = a.started.get_future(), sb = b.started.get_future();
  EXPECT_TRUE(ready(sa));
  EXPECT_TRUE(ready(sb));  // only possible if both run at once
  EXPECT_EQ(pool.busy(), 2u);
  a.release.set_value();
  b.release.set_value();
}

TEST(WorkerPool, BusyCountsRunningAndQueuedTasks) {
  WorkerPool pool(1, 8);
  Blocker b;
  EXPECT_EQ(pool.busy(), 0u);
  ASSERT_TRUE(pool.submit(b.task()));
  auto started = b.started.get_future();
  ASSERT_TRUE(ready(started));
  std::promise<void> second_ran;
  ASSERT_TRUE(pool.submit([&] { second_ran.set_value(); }));
  ASSERT_TRUE(pool.submit([] {}));
  EXPECT_EQ(pool.busy(), 3u);
  b.release.set_value();
  auto f = second_ran.get_future();
  EXPECT_TRUE(ready(f));
}

TEST(WorkerPool, SubmitBlocksWhileTheQueueIsFull) {
  WorkerPool pool(1, 1);
  Blocker b;
  ASSERT_TRUE(pool.submit(b.task()));
  auto started = b.started.get_future();
  ASSERT_TRUE(ready(started));
  ASSERT_TRUE(pool.submit([] {}));  // fills the one queue slot
  std::atomic<bool> opened{false};
  std::promise<bool> submitter_saw_open;
  std::thread submitter([&] {
    bool ok = pool.submit([] {});
    submitter_saw_open.set_value(ok && opened.load());
  });
  opened = true;  // the queue only drains after this point
  b.release.set_value();
  auto f = submitter_saw_open.get_future();
  ASSERT_TRUE(ready(f));
  EXPECT_TRUE(f.get()) << "submit returned before the queue had room";
  submitter.join();
}

TEST(WorkerPool, SubmitAfterStopReturnsFalseAndDoesNotRun) {
  WorkerPool pool(1, 4);
  pool.stop();
  std::atomic<bool> ran{false};
  EXPECT_FALSE(pool.submit([&] { ran = true; }));
  EXPECT_EQ(pool.busy(), 0u);  // not queued either, so it can never run
  EXPECT_FALSE(ran.load());
}

TEST(WorkerPool, StopReleasesABlockedSubmitterWithFalse) {
  WorkerPool pool(1, 1);
  Blocker b;
  ASSERT_TRUE(pool.submit(b.task()));
  auto started = b.started.get_future();
  ASSERT_TRUE(ready(started));
  ASSERT_TRUE(pool.submit([] {}));
  auto submitted = std::async(std::launch::async, [&] { return pool.submit([] {}); });
  pool.stop();
  ASSERT_TRUE(ready(submitted));
  EXPECT_FALSE(submitted.get());
  b.release.set_value();
}

TEST(WorkerPool, QueuedTasksStillRunAfterStop) {
  WorkerPool pool(1, 4);
  Blocker b;
  ASSERT_TRUE(pool.submit(b.task()));
  auto started = b.started.get_future();
  ASSERT_TRUE(ready(started));
  std::promise<void> queued_ran;
  ASSERT_TRUE(pool.submit([&] { queued_ran.set_value(); }));
  pool.stop();
  b.release.set_value();
  auto f = queued_ran.get_future();
  EXPECT_TRUE(ready(f));
}

TEST(WorkerPool, StandInRunsQueuedWorkWhileAThreadIsStuck) {
  WorkerPool pool(1, 4);
  Blocker stuck;
  ASSERT_TRUE(pool.submit(stuck.task()));
  auto started = stuck.started.get_future();
  ASSERT_TRUE(ready(started));
  std::promise<void> next_ran;
  ASSERT_TRUE(pool.submit([&] { next_ran.set_value(); }));
  ASSERT_TRUE(pool.lend_stand_in());  // the only way the queued task can run now
  auto f = next_ran.get_future();
  EXPECT_TRUE(ready(f));
  stuck.release.set_value();
}

TEST(WorkerPool, StandInsAreCapped) {
  WorkerPool pool(1, 4, 2);
  EXPECT_TRUE(pool.lend_stand_in());
  EXPECT_TRUE(pool.lend_stand_in());
  EXPECT_FALSE(pool.lend_stand_in());
  pool.return_stand_in();
  EXPECT_TRUE(pool.lend_stand_in());  // a returned stand-in frees a slot
  EXPECT_FALSE(pool.lend_stand_in());
}

TEST(WorkerPool, ReturningWithoutOutstandingStandInsIsANoOp) {
  WorkerPool pool(1, 4, 1);
  pool.return_stand_in();
  pool.return_stand_in();
  EXPECT_TRUE(pool.lend_stand_in());
  EXPECT_FALSE(pool.lend_stand_in());  // the extra returns did not raise the cap
  // And no base thread retired: work still runs.
  std::promise<void> ran;
  ASSERT_TRUE(pool.submit([&] { ran.set_value(); }));
  auto f = ran.get_future();
  EXPECT_TRUE(ready(f));
}

// Whether a thread of this process still exists. The test polls this condition (bounded by
// kBound); it never waits for time to pass.
bool thread_alive(pid_t tid) { return std::filesystem::exists("/proc/self/task/" + std::to_string(tid)); }

bool thread_exits(pid_t tid) {
  auto give_up = std::chrono::steady_clock::now() + kBound;
  while (thread_alive(tid)) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(WorkerPool, ReturnedStandInRetiresItsThread) {
  WorkerPool pool(1, 4);
  Blocker stuck;
  ASSERT_TRUE(pool.submit(stuck.task()));
  auto started = stuck.started.get_future();
  ASSERT_TRUE(ready(started));
  ASSERT_TRUE(pool.lend_stand_in());
  // The only free thread is the stand-in: learn its id from a task.
  std::promise<pid_t> tid;
  ASSERT_TRUE(pool.submit([&] { tid.set_value(::gettid()); }));
  auto tid_future = tid.get_future();
  ASSERT_TRUE(ready(tid_future));
  pid_t stand_in = tid_future.get();
  EXPECT_TRUE(thread_alive(stand_in));
  pool.return_stand_in();
  EXPECT_TRUE(thread_exits(stand_in)) << "the returned stand-in did not retire";
  // The stuck thread is still the pool's: once it returns, queued work runs on it.
  std::promise<void> later;
  ASSERT_TRUE(pool.submit([&] { later.set_value(); }));
  stuck.release.set_value();
  auto f = later.get_future();
  EXPECT_TRUE(ready(f));
}

// --- DeadlineWatch ---

using Clock = DeadlineWatch::Clock;

// Records fired labels; lets a test wait for a count.
struct Fired {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> order;
  std::function<void()> record(int label) {
    return [this, label] {
      std::lock_guard<std::mutex> l(mu);
      order.push_back(label);
      cv.notify_all();
    };
  }
  bool wait_for_count(std::size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, kBound, [&] { return order.size() >= n; });
  }
};

// Holds the watch thread inside a callback so deadlines can be added while none can fire.
struct HoldWatch {
  std::promise<void> entered, release;
  explicit HoldWatch(DeadlineWatch& w) {
    auto r = release.get_future().share();
    id = w.add(Clock::now() - 1h, [this, r] {
      entered.set_value();
      r.wait();
    });
    auto e = entered.get_future();
    ok = e.wait_for(kBound) == std::future_status::ready;
  }
  std::uint64_t id = 0;
  bool ok = false;
};

TEST(DeadlineWatch, DueDeadlinesFireInTimeOrder) {
  Fired fired;  // outlives the watch, whose thread calls into it
  DeadlineWatch w;
  HoldWatch hold(w);
  ASSERT_TRUE(hold.ok);
  auto now = Clock::now();
  w.add(now - 1s, fired.record(3));
  w.add(now - 3s, fired.record(1));
  w.add(now - 2s, fired.record(2));
  hold.release.set_value();
  ASSERT_TRUE(fired.wait_for_count(3));
  EXPECT_EQ(fired.order, (std::vector<int>{1, 2, 3}));
}

TEST(DeadlineWatch, EqualDeadlinesFireInAddOrder) {
  Fired fired;  // outlives the watch, whose thread calls into it
  DeadlineWatch w;
  HoldWatch hold(w);
  ASSERT_TRUE(hold.ok);
  auto t = Clock::now() - 1s;
  for (int i = 1; i <= 4; ++i) w.add(t, fired.record(i));
  hold.release.set_value();
  ASSERT_TRUE(fired.wait_for_count(4));
  EXPECT_EQ(fired.order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(DeadlineWatch, CancelPreventsFiring) {
  Fired fired;  // outlives the watch, whose thread calls into it
  DeadlineWatch w;
  HoldWatch hold(w);
  ASSERT_TRUE(hold.ok);
  auto now = Clock::now();
  std::uint64_t early = w.add(now - 3s, fired.record(1));
  w.add(now - 2s, fired.record(2));
  std::uint64_t late = w.add(now - 1s, fired.record(3));
  w.cancel(early);
  w.cancel(late);
  std::uint64_t last = w.add(now, fired.record(4));
  hold.release.set_value();
  ASSERT_TRUE(fired.wait_for_count(2));
  // 1 would have fired before 2, and 3 before 4: their absence here is not a timing accident.
  EXPECT_EQ(fired.order, (std::vector<int>{2, 4}));
  w.cancel(last);       // after firing: harmless
  w.cancel(hold.id);    // after firing: harmless
  w.cancel(999999);     // never issued: harmless
}

TEST(DeadlineWatch, FutureDeadlineFiresNotBeforeItsTime) {
  DeadlineWatch w;
  std::promise<Clock::time_point> fired_at;
  auto when = Clock::now() + 30ms;
  w.add(when, [&] { fired_at.set_value(Clock::now()); });
  auto f = fired_at.get_future();
  ASSERT_TRUE(ready(f));
  EXPECT_GE(f.get(), when);
}

TEST(DeadlineWatch, AddWakesTheWatchForAnEarlierDeadline) {
  Fired fired;
  DeadlineWatch w;
  // A first deadline proves the watch thread is running its loop before the real test starts.
  w.add(Clock::now() - 1s, fired.record(0));
  ASSERT_TRUE(fired.wait_for_count(1));
  w.add(Clock::now() + 1h, fired.record(2));  // the watch goes to sleep until this one
  w.add(Clock::now(), fired.record(1));       // earlier: must wake it up
  ASSERT_TRUE(fired.wait_for_count(2));
  EXPECT_EQ(fired.order, (std::vector<int>{0, 1}));
}

TEST(DeadlineWatch, CallbackMayAddAndCancel) {
  Fired fired;  // outlives the watch, whose thread calls into it
  DeadlineWatch w;
  std::promise<std::uint64_t> id;
  auto id_future = id.get_future().share();
  std::uint64_t self = w.add(Clock::now(), [&, id_future] {
    w.cancel(id_future.get());  // cancelling oneself while firing is harmless
    w.add(Clock::now(), fired.record(7));
  });
  id.set_value(self);
  ASSERT_TRUE(fired.wait_for_count(1));
  EXPECT_EQ(fired.order, (std::vector<int>{7}));
}

TEST(DeadlineWatch, DestructionDoesNotWaitForPendingDeadlines) {
  std::atomic<bool> fired{false};
  {
    DeadlineWatch w;
    w.add(Clock::now() + 24h, [&] { fired = true; });
  }  // would hang for a day if the destructor waited
  EXPECT_FALSE(fired.load());
}

}  // namespace
}  // namespace toolgate
