// Several toolgate processes on one audit directory: real child processes (fork), one chain.
#include "audit/audit_files.hpp"
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "audit/dir_lock.hpp"
#include "test_helpers.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace toolgate {
namespace {

namespace json = boost::json;
using test::TempDir;
using test::dump;

// Runs `body` in a child process; returns its exit status.
int in_child(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(AuditMultiProcess, ConcurrentProcessesKeepOneChain) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.path());
  c.max_file_bytes = 16 * 1024;
  c.max_files = 1000;
  constexpr int kPerProcess = 200;
  pid_t pid = ::fork();
  if (pid == 0) {
    AuditLog child(c);
    int failures = 0;
    for (int i = 0; i < kPerProcess; ++i) {
      AuditEntry e = test::sample_entry(i, "child");
      if (!child.append(e)) ++failures;
    }
    ::_exit(failures);
  }
  AuditLog parent(c);
  for (int i = 0; i < kPerProcess; ++i) {
    AuditEntry e = test::sample_entry(i, "parent");
    EXPECT_TRUE(parent.append(e)) << parent.last_error();
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 2u * kPerProcess);
  EXPECT_TRUE(r.notes.empty()) << dump(r);
  EXPECT_GT(r.files, 1u);
}

TEST(AuditMultiProcess, BytesAppendedBehindTheLockAreRecordedNotGluedOnto) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  AuditEntry first = test::sample_entry(0);
  ASSERT_TRUE(log.append(first));
  test::write_text(tmp.sub("audit.jsonl"), test::read_text(tmp.sub("audit.jsonl")) + "garbage");
  AuditEntry next = test::sample_entry(1);
  ASSERT_TRUE(log.append(next));
  auto lines = test::read_lines(tmp.sub("audit.jsonl"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "garbage");
  EXPECT_EQ(json::parse(lines[3]).at("id"), json::value(next.id));
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  ASSERT_EQ(r.notes.size(), 1u) << dump(r);
  EXPECT_EQ(r.notes[0], "audit.jsonl:2: torn line (7 bytes) from an interrupted write, recorded by the recovery entry "
                        "at audit.jsonl:3");
}

TEST(AuditMultiProcess, WriterDyingMidWriteIsRecoveredByTheNext) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  AuditEntry first = test::sample_entry(0);
  ASSERT_TRUE(log.append(first));
  // A process takes the directory lock, gets half a line out and dies without unlocking.
  std::string torn = R"({"id":"dead","timestamp":"2026-)";
  int status = in_child([&] {
    AuditDirLock lock;
    std::string error;
    bool died = false;
    if (!lock.open(tmp.sub(kAuditLockName), error) || !lock.lock(died, error)) return 2;
    test::write_text(tmp.sub("audit.jsonl"), test::read_text(tmp.sub("audit.jsonl")) + torn);
    ::_exit(0);  // dies holding the lock (no destructor runs)
    return 1;
  });
  ASSERT_EQ(status, 0);
  test::LogCapture logs;
  AuditEntry next = test::sample_entry(1);
  ASSERT_TRUE(log.append(next)) << log.last_error();  // does not hang on the dead owner's lock
  auto lines = test::read_lines(tmp.sub("audit.jsonl"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], torn);
  EXPECT_EQ(json::parse(lines[2]).at("errorCode"), json::value("torn_line"));
  EXPECT_EQ(json::parse(lines[2]).at("prev"), json::value(first.hash));
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 3u);
}

}  // namespace
}  // namespace toolgate
