// The host store across real processes: a bucket drained together, dead lock holders recovered,
// stopped ones timed out, a full table, and files that must be refused.
#include "ratelimit/host_store.hpp"
#include "test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <vector>

namespace toolgate {
namespace {

using ::testing::HasSubstr;
using testing::kSecond;

constexpr std::int64_t kNow = 7000 * kSecond;

HostStoreOptions options_for(const std::string& path, std::int64_t slots = 1024, std::int64_t lock_timeout_ms = 100) {
  HostStoreOptions o;
  o.path = path;
  o.slots = slots;
  o.idle_expiry_seconds = 10;
  o.lock_timeout_ms = lock_timeout_ms;
  return o;
}

// Runs `body` in a child process that maps the store on its own; returns the child's pid.
template <typename F>
pid_t spawn(F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = body();
    ::_exit(code);
  }
  return pid;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

TEST(HostStore, TwoProcessesDrainOneBucketTogether) {
  testing::TempDir dir;
  const std::string path = dir.file("shared");
  const RateLimit limit{200, 0.000001};
  int results[2];
  int go[2];
  ASSERT_EQ(::pipe(results), 0);
  ASSERT_EQ(::pipe(go), 0);
  pid_t kids[2];
  for (pid_t& kid : kids) {
    kid = spawn([&] {
      HostStore store(options_for(path));  // each process opens and maps the file itself
      if (!store.ok()) return 2;
      char c;
      if (::read(go[0], &c, 1) != 1) return 3;  // start together
      int allowed = 0;
      for (int i = 0; i < 300; ++i) {
        TakeResult r = store.take("tool/acme/alice/dns_lookup", limit, kNow);
        if (r.error) return 4;
        allowed += r.allowed;
      }
      return ::write(results[1], &allowed, sizeof allowed) == sizeof allowed ? 0 : 5;
    });
    ASSERT_GT(kid, 0);
  }
  ASSERT_EQ(::write(go[1], "gg", 2), 2);
  int total = 0;
  for (pid_t kid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(kid, &status, 0), kid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    int allowed = 0;
    ASSERT_EQ(::read(results[0], &allowed, sizeof allowed), static_cast<ssize_t>(sizeof allowed));
    total += allowed;
  }
  EXPECT_EQ(total, 200) << "the two processes together got exactly one burst";
  HostStore mine(options_for(path));
  EXPECT_FALSE(mine.take("tool/acme/alice/dns_lookup", limit, kNow).allowed);
  for (int fd : {results[0], results[1], go[0], go[1]}) ::close(fd);
}

TEST(HostStore, AChildProcessSpendsFromTheParentsBucket) {
  testing::TempDir dir;
  const std::string path = dir.file("seq");
  HostStore mine(options_for(path));
  ASSERT_TRUE(mine.take("tenant/acme", RateLimit{5, 0.001}, kNow).allowed);
  pid_t kid = spawn([&] {
    HostStore theirs(options_for(path));
    int allowed = 0;
    for (int i = 0; i < 3; ++i) allowed += theirs.take("tenant/acme", RateLimit{5, 0.001}, kNow).allowed;
    return allowed;
  });
  int status = 0;
  ASSERT_EQ(::waitpid(kid, &status, 0), kid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  TakeResult last = mine.take("tenant/acme", RateLimit{5, 0.001}, kNow);
  EXPECT_TRUE(last.allowed);
  EXPECT_EQ(last.remaining, 0);
  EXPECT_FALSE(mine.take("tenant/acme", RateLimit{5, 0.001}, kNow).allowed);
}

TEST(HostStore, ThreadsOfOneProcessNeverOverspend) {
  testing::TempDir dir;
  HostStore store(options_for(dir.file("threads")));
  const BucketRequest requests[] = {{"tool/acme/alice/t", RateLimit{300, 0.000001}},
                                    {"tenant/acme", RateLimit{1000, 0.000001}}};
  std::atomic<int> allowed{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        TakeResult r = store.take(requests, kNow);
        allowed += r.allowed;
        errors += r.error;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(allowed.load(), 300);
}

// A child takes a lock through a test hook and is SIGKILLed while holding it.
void kill_child_holding(const std::string& path, bool claim_lock) {
  pid_t kid = spawn([&] {
    HostStore store(options_for(path));
    bool held = claim_lock ? store.test_hold_claim_lock()
                           : store.test_hold_slot_lock("tool/acme/alice/t", RateLimit{3, 0.001}, kNow);
    if (!held) return 2;
    ::raise(SIGKILL);
    return 3;
  });
  ASSERT_GT(kid, 0);
  int status = 0;
  ASSERT_EQ(::waitpid(kid, &status, 0), kid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
}

TEST(HostStore, ProcessKilledHoldingASlotLockDoesNotWedgeOthers) {
  testing::TempDir dir;
  const std::string path = dir.file("robust");
  HostStore store(options_for(path, 1024, 5000));  // recovery must not wait for this timeout
  ASSERT_TRUE(store.ok()) << store.open_error();
  ASSERT_TRUE(store.take("tool/acme/alice/t", RateLimit{3, 0.001}, kNow).allowed);
  ASSERT_TRUE(store.take("tool/acme/alice/t", RateLimit{3, 0.001}, kNow).allowed);
  kill_child_holding(path, false);

  auto start = std::chrono::steady_clock::now();
  TakeResult r = store.take("tool/acme/alice/t", RateLimit{3, 0.001}, kNow);
  EXPECT_LT(elapsed_ms(start), 2500.0) << "recovery must not wait for the lock timeout";
  EXPECT_FALSE(r.error) << r.message;
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.remaining, 2) << "the suspect bucket was dropped and started again full";
  EXPECT_EQ(store.recovered_locks(), 1u);
  // The slot works normally afterwards.
  EXPECT_TRUE(store.take("tool/acme/alice/t", RateLimit{3, 0.001}, kNow).allowed);
  EXPECT_TRUE(store.take("tool/acme/alice/t", RateLimit{3, 0.001}, kNow).allowed);
  EXPECT_FALSE(store.take("tool/acme/alice/t", RateLimit{3, 0.001}, kNow).allowed);
  EXPECT_EQ(store.used_slots(), 1u);
}

TEST(HostStore, ProcessKilledHoldingTheClaimLockDoesNotWedgeOthers) {
  testing::TempDir dir;
  const std::string path = dir.file("robust-claim");
  kill_child_holding(path, true);
  HostStore store(options_for(path, 1024, 5000));
  auto start = std::chrono::steady_clock::now();
  TakeResult r = store.take("tool/acme/bob/t", RateLimit{3, 1}, kNow);  // a new key needs the claim lock
  EXPECT_LT(elapsed_ms(start), 2500.0);
  EXPECT_FALSE(r.error) << r.message;
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(store.recovered_locks(), 1u);
}

TEST(HostStore, LiveButStuckHolderTimesOutInsteadOfHanging) {
  testing::TempDir dir;
  const std::string path = dir.file("stuck");
  HostStore store(options_for(path));
  ASSERT_TRUE(store.take("tool/acme/alice/t", RateLimit{3, 1}, kNow).allowed);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t kid = spawn([&] {
    HostStore mine(options_for(path));
    if (!mine.test_hold_slot_lock("tool/acme/alice/t", RateLimit{3, 1}, kNow)) return 2;
    (void)::write(ready[1], "x", 1);
    ::pause();  // alive, never unlocks
    return 3;
  });
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto start = std::chrono::steady_clock::now();
  TakeResult r = store.take("tool/acme/alice/t", RateLimit{3, 1}, kNow);
  const double ms = elapsed_ms(start);
  ::kill(kid, SIGKILL);
  ::waitpid(kid, nullptr, 0);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.message, "timed out waiting for a bucket lock");
  EXPECT_GE(ms, 90.0);
  EXPECT_LT(ms, 2000.0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(HostStore, FullTableReusesIdleSlotsOrReportsAnError) {
  testing::TempDir dir;
  HostStore store(options_for(dir.file("small"), 64));
  ASSERT_EQ(store.slot_count(), 64);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(store.take("k" + std::to_string(i), RateLimit{2, 1}, kNow).allowed) << i;
  EXPECT_EQ(store.used_slots(), 64u);
  TakeResult full = store.take("newcomer", RateLimit{2, 1}, kNow);
  EXPECT_TRUE(full.error);
  EXPECT_THAT(full.message, HasSubstr("table full: no free or idle slot"));
  // Existing keys keep working while the table is full.
  EXPECT_TRUE(store.take("k3", RateLimit{2, 1}, kNow).allowed);
  // Ten seconds on, the buckets are full and idle: a newcomer takes one of their slots.
  TakeResult later = store.take("newcomer", RateLimit{2, 1}, kNow + 11 * kSecond);
  EXPECT_FALSE(later.error) << later.message;
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(store.used_slots(), 64u);
}

TEST(HostStore, InstancesInOneProcessShareTheFile) {
  testing::TempDir dir;
  HostStore a(options_for(dir.file("f")));
  HostStore b(options_for(dir.file("f")));
  ASSERT_TRUE(a.take("x", RateLimit{2, 0.001}, kNow).allowed);
  ASSERT_TRUE(b.take("x", RateLimit{2, 0.001}, kNow).allowed);
  EXPECT_FALSE(a.take("x", RateLimit{2, 0.001}, kNow).allowed);
  EXPECT_EQ(b.slot_count(), 1024);
}

TEST(HostStore, ExistingFileKeepsItsSlotCount) {
  testing::TempDir dir;
  HostStore a(options_for(dir.file("f"), 128));
  HostStore b(options_for(dir.file("f"), 4096));
  ASSERT_TRUE(b.ok()) << b.open_error();
  EXPECT_EQ(b.slot_count(), 128);
}

TEST(HostStore, LongKeysAreStoredByDigest) {
  testing::TempDir dir;
  HostStore store(options_for(dir.file("f")));
  const std::string long_a(500, 'a');
  const std::string long_b = std::string(499, 'a') + "b";
  ASSERT_TRUE(store.take(long_a, RateLimit{1, 0.001}, kNow).allowed);
  EXPECT_FALSE(store.take(long_a, RateLimit{1, 0.001}, kNow).allowed);
  EXPECT_TRUE(store.take(long_b, RateLimit{1, 0.001}, kNow).allowed);
}

TEST(HostStore, RefusesAForeignFile) {
  testing::TempDir dir;
  const std::string path = dir.file("garbage");
  {
    std::ofstream out(path);
    out << std::string(8192, 'z');
  }
  ::chmod(path.c_str(), 0600);
  HostStore store(options_for(path));
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.open_error(), path + " is not a toolgate rate-limit file (bad magic)");
  TakeResult r = store.take("x", RateLimit{1, 1}, kNow);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(r.message, store.open_error());
}

TEST(HostStore, RefusesAFileOthersCanRead) {
  testing::TempDir dir;
  const std::string path = dir.file("open-to-all");
  { HostStore create(options_for(path)); }
  ::chmod(path.c_str(), 0644);
  HostStore store(options_for(path));
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.open_error(), path + " must be owned by this user and not accessible to others (mode 0600)");
}

TEST(HostStore, CreatesTheFilePrivate) {
  testing::TempDir dir;
  const std::string path = dir.file("private");
  HostStore store(options_for(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(HostStore, ReinitialisesAFileWhoseCreatorDiedBeforeFinishing) {
  testing::TempDir dir;
  const std::string path = dir.file("half");
  {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 4096 + 64 * 256), 0);  // sized, but the magic never written
    ::close(fd);
  }
  HostStore store(options_for(path, 64));
  ASSERT_TRUE(store.ok()) << store.open_error();
  EXPECT_TRUE(store.take("x", RateLimit{1, 1}, kNow).allowed);
}

}  // namespace
}  // namespace toolgate
