// AuditLog under an OutputDeferral scope (the stdin reader holding output back while input is
// still buffered): entries wait for a flush and share its batch, never lose their order in the
// chain, and shutdown writes what is still held.
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "test_helpers.hpp"
#include "util/output_deferral.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace toolgate {
namespace {

using test::TempDir;
using test::dump;

// Holds the log's writer thread up: on a deferring thread, hold() hands it a batch of kBatch entries
// whose first continuation waits for release(), and returns once the writer is waiting there.
struct HeldUpWriter {
  static constexpr int kBatch = 20;  // past AuditLog's hand-off threshold
  std::promise<void> released;
  std::shared_future<void> released_future = released.get_future().share();
  std::promise<void> held, batch_done;
  std::atomic<int> completed{0};  // of the batch's continuations
  void hold(AuditLog& log) {
    for (int i = 0; i < kBatch; ++i)
      log.append_then(test::sample_entry(i), [this, i](bool ok) {
        EXPECT_TRUE(ok);
        if (i == 0) {
          held.set_value();
          released_future.wait();
        }
        if (++completed == kBatch) batch_done.set_value();
      });
    log.flush_deferred();
    held.get_future().wait();
  }
  void release() { released.set_value(); }
};

// Inside an OutputDeferral scope entries only queue; flush_all_deferred() writes them as one
// batch, and each continuation still runs only once its entry is in the file.
TEST(AuditLog, DeferredEntriesWaitForTheFlushAndShareOneBatch) {
  TempDir tmp;
  auto log = std::make_shared<AuditLog>(test::test_config(tmp.path()));
  AuditLog::track(log);
  std::vector<std::size_t> lines_seen;
  {
    OutputDeferral defer([] { return true; });
    for (int i = 1; i <= 3; ++i)
      log->append_then(test::sample_entry(i), [&](bool ok) {
        EXPECT_TRUE(ok);
        lines_seen.push_back(test::all_entry_lines(tmp.path()).size());
      });
    EXPECT_TRUE(lines_seen.empty()) << "a deferred entry was written before the flush";
    EXPECT_TRUE(test::all_entry_lines(tmp.path()).empty());
  }
  AuditLog::flush_all_deferred();
  EXPECT_EQ(lines_seen, (std::vector<std::size_t>{3, 3, 3})) << "the three entries were not one batch";
  ASSERT_TRUE(log->wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));

  // A scope whose condition no longer holds (the reader's baton was taken) writes at once.
  {
    OutputDeferral defer([] { return false; });
    bool done = false;
    log->append_then(test::sample_entry(4), [&](bool ok) { done = ok; });
    EXPECT_TRUE(done);
  }
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(test::all_entry_lines(tmp.path()).size(), 4u);
}

// wait_idle (shutdown) writes what a reader held back instead of waiting for a flush.
TEST(AuditLog, WaitIdleWritesDeferredEntries) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  bool done = false;
  {
    OutputDeferral defer([] { return true; });
    log.append_then(test::sample_entry(1), [&](bool ok) { done = ok; });
  }
  EXPECT_FALSE(done);
  ASSERT_TRUE(log.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  EXPECT_TRUE(done);
  EXPECT_EQ(test::all_entry_lines(tmp.path()).size(), 1u);
}

// A deferred batch of kHandOffEntries or more goes to the log's writer thread: the reader does not
// hash and write it, and its continuations run over there, in order, once the whole batch is in
// the file. What they captured is handed back and destroyed by the reader at its next flush.
TEST(AuditLog, ALargeDeferredBatchIsWrittenByTheWriterThreadAndFreedByTheReader) {
  TempDir tmp;
  constexpr int kEntries = 40;
  struct Guard {  // records the thread that destroys it
    std::vector<std::thread::id>* destroyed;
    ~Guard() { destroyed->push_back(std::this_thread::get_id()); }
  };
  std::vector<std::thread::id> ran_on, destroyed;
  std::vector<std::size_t> lines_seen;
  std::vector<int> order;
  {
    auto log = std::make_shared<AuditLog>(test::test_config(tmp.path()));
    AuditLog::track(log);
    {
      OutputDeferral defer([] { return true; });
      for (int i = 1; i <= kEntries; ++i) {
        auto guard = std::shared_ptr<Guard>(new Guard{&destroyed});
        log->append_then(test::sample_entry(i), [&, i, guard](bool ok) {
          EXPECT_TRUE(ok);
          ran_on.push_back(std::this_thread::get_id());
          order.push_back(i);
          lines_seen.push_back(test::all_entry_lines(tmp.path()).size());
        });
      }
    }
    AuditLog::flush_all_deferred();
    ASSERT_TRUE(log->wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
    ASSERT_EQ(ran_on.size(), static_cast<std::size_t>(kEntries));
    for (auto id : ran_on) EXPECT_NE(id, std::this_thread::get_id()) << "the reader wrote the batch itself";
    EXPECT_EQ(lines_seen, std::vector<std::size_t>(kEntries, kEntries)) << "not one batch, or a response went early";
    std::vector<int> expected(kEntries);
    for (int i = 0; i < kEntries; ++i) expected[i] = i + 1;
    EXPECT_EQ(order, expected);
    // Freed by the reader's next flush: wait_idle's own flush if the writer was done by then,
    // else this one; never by the writer thread.
    AuditLog::flush_all_deferred();
    EXPECT_EQ(destroyed, std::vector<std::thread::id>(kEntries, std::this_thread::get_id()))
        << "the writer thread freed what the reader built";
  }  // the log's destructor stops and joins its writer thread
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(test::all_entry_lines(tmp.path()).size(), static_cast<std::size_t>(kEntries));
}

// What the writer thread completed but no flush freed yet is freed by the log's destructor.
TEST(AuditLog, TheDestructorFreesWhatTheWriterThreadHandedBack) {
  TempDir tmp;
  int alive = 0;
  struct Counted {
    int* alive;
    explicit Counted(int* a) : alive(a) { ++*alive; }
    ~Counted() { --*alive; }
  };
  {
    AuditLog log(test::test_config(tmp.path()));
    {
      OutputDeferral defer([] { return true; });
      for (int i = 1; i <= 20; ++i) log.append_then(test::sample_entry(i), [c = std::make_shared<Counted>(&alive)](bool) {});
    }
    ASSERT_TRUE(log.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
    EXPECT_EQ(alive, 20) << "handed back, not yet freed";
  }
  EXPECT_EQ(alive, 0);
  EXPECT_EQ(test::all_entry_lines(tmp.path()).size(), 20u);
}

// While the writer thread is at work, entries the reader defers are still held back for its flush,
// and then go to the writer together: queued one by one, a busy writer would take them a few at a
// time, with a write(2) and a hand-off between cores for every few entries.
TEST(AuditLog, EntriesDeferredWhileTheWriterThreadIsAtWorkWaitForTheFlushAndShareOneBatch) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  std::vector<std::size_t> lines_seen;  // by the second batch's continuations (writer thread only)
  OutputDeferral defer([] { return true; });
  HeldUpWriter writer;
  writer.hold(log);
  for (int i = 0; i < 30; ++i)
    log.append_then(test::sample_entry(100 + i), [&](bool ok) {
      EXPECT_TRUE(ok);
      lines_seen.push_back(test::all_entry_lines(tmp.path()).size());
    });
  EXPECT_EQ(log.held_back(), 30u) << "entries went to the busy writer one by one";
  writer.release();
  writer.batch_done.get_future().wait();
  EXPECT_EQ(log.held_back(), 30u);
  EXPECT_TRUE(lines_seen.empty()) << "a held entry was written before the flush";
  log.flush_deferred();
  ASSERT_TRUE(log.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  EXPECT_EQ(log.held_back(), 0u);
  EXPECT_EQ(lines_seen, std::vector<std::size_t>(30, 50)) << "the held entries were not one batch";
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
}

// The baton can be taken from a thread between its check that it still defers and its entry going
// in: the new reader may have flushed already, so that entry is queued at once instead of held.
TEST(AuditLog, AnEntryHeldAsTheBatonIsTakenIsNotLeftBehind) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  static int asked;
  asked = 0;
  OutputDeferral defer([] { return ++asked == 1; });  // defers at the first check, not after
  bool done = false;
  log.append_then(test::sample_entry(1), [&](bool ok) { done = ok; });
  EXPECT_GE(asked, 2) << "the deferral was not checked again after the entry went in";
  EXPECT_TRUE(done) << "the entry waits for a flush nobody will make";
  EXPECT_EQ(log.held_back(), 0u);
  EXPECT_EQ(test::all_entry_lines(tmp.path()).size(), 1u);
}

// A synchronous append() from a thread that holds entries back writes those first: the file keeps
// the order in which the calls ended.
TEST(AuditLog, ASynchronousAppendWritesWhatWasHeldBackFirst) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  OutputDeferral defer([] { return true; });
  bool first_done = false;
  log.append_then(test::sample_entry(1), [&](bool ok) { first_done = ok; });
  ASSERT_EQ(log.held_back(), 1u);
  AuditEntry second = test::sample_entry(2);
  ASSERT_TRUE(log.append(second));
  EXPECT_TRUE(first_done);
  std::vector<std::string> lines = test::all_entry_lines(tmp.path());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"requestId\":1,"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"requestId\":\"req-2\""), std::string::npos) << lines[1];
}

// Holding kDeferEntries back flushes them from inside the call that added the last one, which
// must not stop there on back-pressure (the stand-by would take it for a stuck call): only the
// reader's flush between messages waits.
TEST(AuditLog, AFlushFromInsideACallNeverWaitsOnBackPressure) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  HeldUpWriter writer;
  std::atomic<int> completed{0};
  std::promise<void> filled;
  std::thread reader([&] {
    OutputDeferral defer([] { return true; });
    writer.hold(log);
    // Past kMaxQueuedEntries through flushes that go through, then kDeferEntries more held back:
    // the last of those flushes from inside append_then.
    for (std::size_t i = 0; i < AuditLog::kMaxQueuedEntries; ++i)
      log.append_then(test::sample_entry(100), [&](bool) { ++completed; });
    for (std::size_t i = 0; i < AuditLog::kDeferEntries; ++i)
      log.append_then(test::sample_entry(200), [&](bool) { ++completed; });
    filled.set_value();
  });
  auto filled_in_time = filled.get_future().wait_for(std::chrono::seconds(30));
  EXPECT_EQ(filled_in_time, std::future_status::ready) << "append_then waited on back-pressure";
  EXPECT_EQ(completed.load() + writer.completed.load(), 0);
  writer.release();
  reader.join();
  ASSERT_TRUE(log.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  EXPECT_EQ(writer.completed.load(), HeldUpWriter::kBatch);
  EXPECT_EQ(completed.load(), static_cast<int>(AuditLog::kMaxQueuedEntries + AuditLog::kDeferEntries));
}

// Back-pressure: while the writer thread is held up (here, by a continuation that waits; in
// toolgate, by a client that does not read its responses), the reader's flush waits once
// kMaxQueuedEntries entries are queued, instead of queueing without bound, and goes on when the
// writer takes the queue. Nothing is lost.
TEST(AuditLog, TheReaderWaitsWhileTooManyEntriesAreQueuedForAHeldUpWriter) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  HeldUpWriter writer;
  std::atomic<int> completed{0};
  std::thread reader([&] {
    OutputDeferral defer([] { return true; });
    writer.hold(log);  // the first batch goes to the writer thread, which its first continuation holds up
    for (std::size_t i = 0; i < AuditLog::kMaxQueuedEntries; ++i)
      log.append_then(test::sample_entry(100), [&](bool ok) {
        EXPECT_TRUE(ok);
        ++completed;
      });
    log.flush_deferred();  // waits here until the writer is let go
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log.back_pressure_waits() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(log.back_pressure_waits(), 1u) << "the reader queued past the bound without waiting";
  EXPECT_EQ(completed.load() + writer.completed.load(), 0);
  writer.release();
  reader.join();
  ASSERT_TRUE(log.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(writer.completed.load(), HeldUpWriter::kBatch);
  EXPECT_EQ(completed.load(), static_cast<int>(AuditLog::kMaxQueuedEntries));
  EXPECT_EQ(test::all_entry_lines(tmp.path()).size(), HeldUpWriter::kBatch + AuditLog::kMaxQueuedEntries);
}

}  // namespace
}  // namespace toolgate
