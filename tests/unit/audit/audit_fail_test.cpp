// Fail-closed behaviour against real failing targets: /dev/full behind the audit file name, a
// tiny tmpfs filled to the last byte, and a directory that cannot be created.
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "test_helpers.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace toolgate {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::TempDir;
using test::dump;

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

TEST(AuditFailClosed, DevFullRefusesThenRecovers) {
  TempDir tmp;
  test::LogCapture logs;
  AuditLog log(test::test_config(tmp.path()));
  AuditEntry first = test::sample_entry(0);
  ASSERT_TRUE(log.append(first));
  fs::rename(tmp.sub("audit.jsonl"), tmp.sub("audit.1.jsonl"));
  fs::create_symlink("/dev/full", tmp.sub("audit.jsonl"));

  AuditEntry e = test::sample_entry(1);
  EXPECT_FALSE(log.append(e));
  EXPECT_FALSE(log.healthy());
  EXPECT_EQ(log.last_error(), "audit log " + tmp.path() + ": Failed writing to file " + tmp.sub("audit.jsonl") +
                                  ": No space left on device");
  for (int i = 2; i < 5; ++i) {  // keeps refusing, keeps retrying, logs once
    AuditEntry again = test::sample_entry(i);
    EXPECT_FALSE(log.append(again));
  }
  EXPECT_EQ(log.failed_appends(), 4u);
  EXPECT_EQ(logs.count("No space left on device"), 1u) << logs.text();
  EXPECT_EQ(logs.count("refusing tool calls (failMode closed)"), 1u) << logs.text();

  fs::remove(tmp.sub("audit.jsonl"));  // the target works again
  AuditEntry ok = test::sample_entry(5);
  ASSERT_TRUE(log.append(ok)) << log.last_error();
  EXPECT_TRUE(log.healthy());
  EXPECT_EQ(log.last_error(), "");
  EXPECT_EQ(ok.prev, first.hash);  // nothing refused made it into the chain
  EXPECT_EQ(logs.count("again after failure (4 entries refused)"), 1u) << logs.text();
  EXPECT_EQ(test::file_mode(tmp.sub("audit.jsonl")), 0600u);
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 2u);
}

TEST(AuditFailClosed, FailModeOpenReportsButAccepts) {
  TempDir tmp;
  test::LogCapture logs;
  AuditConfig c = test::test_config(tmp.path());
  c.fail_mode = AuditConfig::FailMode::open;
  fs::create_symlink("/dev/full", tmp.sub("audit.jsonl"));
  AuditLog log(c);
  AuditEntry e = test::sample_entry(1);
  EXPECT_TRUE(log.append(e));
  EXPECT_FALSE(log.healthy());
  EXPECT_EQ(log.failed_appends(), 1u);
  EXPECT_TRUE(contains(log.last_error(), "No space left on device")) << log.last_error();
  EXPECT_EQ(logs.count("continuing WITHOUT an audit trail (failMode open)"), 1u) << logs.text();
}

TEST(AuditFailClosed, DirectoryThatCannotBeCreated) {
  TempDir tmp;
  test::LogCapture logs;
  AuditLog log(test::test_config(tmp.sub("parent/audit")));
  test::write_text(tmp.sub("parent"), "a file where the directory should be");
  AuditEntry e = test::sample_entry(1);
  EXPECT_FALSE(log.append(e));
  EXPECT_EQ(log.last_error(), "audit log " + tmp.sub("parent/audit") + ": cannot create audit directory " +
                                  tmp.sub("parent/audit") + ": Not a directory");
  std::string why;
  EXPECT_FALSE(log.ready(why));  // the pre-flight check retries and still fails
  EXPECT_EQ(why, log.last_error());
  fs::remove(tmp.sub("parent"));
  EXPECT_TRUE(log.ready(why)) << why;  // and notices when the directory can be made
  EXPECT_TRUE(log.healthy());
  EXPECT_TRUE(log.append(e)) << log.last_error();
  EXPECT_EQ(test::file_mode(tmp.sub("parent")), 0700u);
}

TEST(AuditFailClosed, DeletedDirectoryIsRecreatedAndTheGapRecorded) {
  TempDir tmp;
  test::LogCapture logs;
  AuditLog log(test::test_config(tmp.sub("audit")));
  AuditEntry first = test::sample_entry(0);
  ASSERT_TRUE(log.append(first));
  fs::remove_all(tmp.sub("audit"));
  AuditEntry e = test::sample_entry(1);
  ASSERT_TRUE(log.append(e)) << log.last_error();
  EXPECT_EQ(test::file_mode(tmp.sub("audit")), 0700u);
  auto lines = test::read_lines(tmp.sub("audit/audit.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  json::value rec = json::parse(lines[0]);
  EXPECT_EQ(rec.at("outcome"), json::value("audit_recovered"));
  EXPECT_EQ(rec.at("errorCode"), json::value("files_missing"));
  EXPECT_EQ(rec.at("prev"), json::value(first.hash));  // the chain remembers what came before
  EXPECT_EQ(logs.count("files_missing in"), 1u) << logs.text();
  VerifyReport r = verify_audit_dir(tmp.sub("audit"), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  ASSERT_EQ(r.notes.size(), 2u) << dump(r);
  EXPECT_TRUE(contains(r.notes[0], "audit.jsonl:1: the writer found the audit files missing")) << dump(r);
  EXPECT_TRUE(contains(r.notes[1], "audit.jsonl:1: the chain starts after entries that are not present")) << dump(r);
}

// Sets or clears the immutable attribute of a directory; false if the filesystem or the
// privileges do not allow it.
bool set_immutable(const std::string& dir, bool on) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
  ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return ok;
}

TEST(AuditFailClosed, FailedRotationNeverTruncatesTheLiveFile) {
  TempDir tmp;
  test::LogCapture logs;
  AuditConfig c = test::test_config(tmp.sub("audit"));
  c.max_file_bytes = 4096;
  AuditLog log(c);
  AuditEntry first = test::sample_entry(0);
  ASSERT_TRUE(log.append(first));
  if (!set_immutable(tmp.sub("audit"), true)) GTEST_SKIP() << "cannot make a directory immutable here";
  std::size_t accepted = 1;
  bool refused = false;
  for (int i = 1; i < 20 && !refused; ++i) {  // renames are impossible: the first rotation fails
    AuditEntry e = test::sample_entry(i);
    if (log.append(e))
      ++accepted;
    else
      refused = true;
  }
  std::string error = log.last_error();
  ASSERT_TRUE(set_immutable(tmp.sub("audit"), false));
  ASSERT_TRUE(refused);
  EXPECT_EQ(error, "audit log " + tmp.sub("audit") + ": rotation of " + tmp.sub("audit/audit.jsonl") +
                       " failed; refusing to truncate it");
  EXPECT_EQ(test::read_lines(tmp.sub("audit/audit.jsonl")).size(), accepted);  // nothing lost
  AuditEntry later = test::sample_entry(30);
  ASSERT_TRUE(log.append(later)) << log.last_error();
  VerifyReport r = verify_audit_dir(tmp.sub("audit"), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, accepted + 1);
}

// A tiny tmpfs filled to the last byte: the real ENOSPC path, including writes that fail
// part-way through a line.
class TinyFilesystem : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    if (::mount("tmpfs", mount_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=128k,mode=0700") != 0)
      GTEST_SKIP() << "cannot mount tmpfs: " << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_.path().c_str(), MNT_DETACH);
  }
  // Writes zeros until the filesystem refuses; returns the errno it refused with.
  int fill(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::string block(4096, '\0');
    int err = 0;
    for (;;) {
      ssize_t n = ::write(fd, block.data(), block.size());
      if (n < 0) {
        err = errno;
        break;
      }
      if (n < static_cast<ssize_t>(block.size())) block.resize(block.size() - static_cast<std::size_t>(n));
    }
    ::close(fd);
    return err;
  }
  TempDir mount_;
  bool mounted_ = false;
};

TEST_F(TinyFilesystem, DiskFullRefusesThenRecovers) {
  test::LogCapture logs;
  std::string dir = mount_.sub("audit");
  std::string filler = mount_.sub("filler");
  {
    AuditLog log(test::test_config(dir));
    AuditEntry first = test::sample_entry(0);
    ASSERT_TRUE(log.append(first)) << log.last_error();
    ASSERT_EQ(fill(filler), ENOSPC);

    for (int i = 1; i <= 3; ++i) {  // entries too big for any slack left in the file's last page
      AuditEntry e = test::sample_entry(i);
      e.input = json::object{{"blob", std::string(9000, 'x')}};
      EXPECT_FALSE(log.append(e));
    }
    EXPECT_TRUE(contains(log.last_error(), "No space left on device")) << log.last_error();
    EXPECT_TRUE(contains(log.last_error(), dir + "/audit.jsonl")) << log.last_error();
    EXPECT_EQ(logs.count("No space left on device"), 1u) << logs.text();

    fs::remove(filler);
    AuditEntry ok = test::sample_entry(9);
    ASSERT_TRUE(log.append(ok)) << log.last_error();
    EXPECT_TRUE(log.healthy());
    EXPECT_EQ(logs.count("again after failure (3 entries refused)"), 1u) << logs.text();
  }
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  // The first refused entry filled the slack of the file's last page and was cut short; the
  // repair recorded it. So: the first entry, the audit_recovered entry, the new one.
  EXPECT_EQ(r.entries, 3u);
  ASSERT_EQ(r.notes.size(), 1u) << dump(r);
  EXPECT_TRUE(contains(r.notes[0], "audit.jsonl:2: torn line (")) << dump(r);
  EXPECT_TRUE(contains(r.notes[0], "from an interrupted write, recorded by the recovery entry at audit.jsonl:3"))
      << dump(r);
  for (const auto& line : test::read_lines(dir + "/audit.jsonl")) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (!ec) {
      EXPECT_FALSE(v.at("input").is_object() && v.at("input").as_object().contains("blob")) << line.substr(0, 80);
    }
  }
}

}  // namespace
}  // namespace toolgate
