// AuditLog under an OutputDeferral scope (the stdin reader holding output back while input is
// still buffered): entries wait for a flush and share its batch, never lose their order in the
// chain, and shutdown writes what is still held.
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "test_helpers.hpp"
#include "util/output_deferral.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace toolgate {
namespace {

using test::TempDir;
using test::dump;

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

}  // namespace
}  // namespace toolgate
