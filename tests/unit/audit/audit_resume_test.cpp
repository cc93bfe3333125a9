// A writer (re)opening an audit directory: where the chain on disk ends and what damage to
// record first. Restarts, rotation, a crash that tore the last line or cut only its newline, a
// chain written with another HMAC key, and files deleted while no writer ran.
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "test_helpers.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace toolgate {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::TempDir;
using test::dump;

// Writes `n` sample entries through a log that is then closed (a process that ended); returns
// the last entry's hash.
std::string write_then_close(const std::string& dir, int n) {
  AuditLog log(test::test_config(dir));
  std::string last_hash;
  for (int i = 0; i < n; ++i) {
    AuditEntry e = test::sample_entry(i);
    EXPECT_TRUE(log.append(e)) << log.last_error();
    last_hash = e.hash;
  }
  return last_hash;
}

TEST(AuditLog, ChainContinuesAcrossRestart) {
  TempDir tmp;
  std::string last_hash = write_then_close(tmp.path(), 3);
  AuditLog again(test::test_config(tmp.path()));
  ASSERT_TRUE(again.open()) << again.last_error();
  AuditEntry e = test::sample_entry(3);
  ASSERT_TRUE(again.append(e)) << again.last_error();
  EXPECT_EQ(e.prev, last_hash);
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 4u);
}

TEST(AuditLog, RestartAfterRotationFindsChainInOlderFile) {
  TempDir tmp;
  std::string last_hash = write_then_close(tmp.path(), 1);
  fs::rename(tmp.sub("audit.jsonl"), tmp.sub("audit.1.jsonl"));  // as if rotated just before exit
  test::write_text(tmp.sub("audit.jsonl"), "");
  AuditLog again(test::test_config(tmp.path()));
  AuditEntry e = test::sample_entry(1);
  ASSERT_TRUE(again.append(e));
  EXPECT_EQ(e.prev, last_hash);
}

TEST(AuditLog, TornLastLineAfterCrashIsRecordedAndChainContinues) {
  TempDir tmp;
  std::string last_hash = write_then_close(tmp.path(), 3);
  std::string torn = R"({"id":"0f0e","timestamp":"2026-)";
  test::write_text(tmp.sub("audit.jsonl"), test::read_text(tmp.sub("audit.jsonl")) + torn);
  VerifyReport before = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(before.ok) << dump(before);
  ASSERT_EQ(before.notes.size(), 1u);
  EXPECT_EQ(before.notes[0], "audit.jsonl:4: torn last line (" + std::to_string(torn.size()) +
                                 " bytes, no newline) from an interrupted write; ignored");

  test::LogCapture logs;
  AuditLog again(test::test_config(tmp.path()));
  AuditEntry e = test::sample_entry(9);
  ASSERT_TRUE(again.append(e)) << again.last_error();
  auto lines = test::read_lines(tmp.sub("audit.jsonl"));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[3], torn);
  json::object rec = json::parse(lines[4]).as_object();
  EXPECT_EQ(rec.at("outcome"), json::value("audit_recovered"));
  EXPECT_EQ(rec.at("errorCode"), json::value("torn_line"));
  EXPECT_EQ(rec.at("prev"), json::value(last_hash));
  EXPECT_EQ(rec.at("input").at("tornLines").at(0).at("bytes"), json::value(torn.size()));
  EXPECT_EQ(e.prev, std::string(rec.at("hash").as_string()));
  EXPECT_EQ(logs.count("torn_line in"), 1u) << logs.text();

  VerifyReport after = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(after.ok) << dump(after);
  EXPECT_EQ(after.entries, 5u);
  ASSERT_EQ(after.notes.size(), 1u) << dump(after);
  EXPECT_EQ(after.notes[0], "audit.jsonl:4: torn line (" + std::to_string(torn.size()) +
                                " bytes) from an interrupted write, recorded by the recovery entry at audit.jsonl:5");
}

TEST(AuditLog, CompleteEntryMissingOnlyItsNewlineIsKept) {
  TempDir tmp;
  std::string last_hash = write_then_close(tmp.path(), 1);
  std::string text = test::read_text(tmp.sub("audit.jsonl"));
  text.pop_back();
  test::write_text(tmp.sub("audit.jsonl"), text);
  AuditLog again(test::test_config(tmp.path()));
  AuditEntry e = test::sample_entry(1);
  ASSERT_TRUE(again.append(e));
  EXPECT_EQ(e.prev, last_hash);
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 2u);
  EXPECT_TRUE(r.notes.empty()) << dump(r);
}

TEST(AuditLog, AChainWrittenWithAnotherKeyIsNotContinued) {
  // Adding, removing or changing hmacKeyFile on a directory would leave a log no single key
  // verifies: the writer refuses (fail closed) and says to use a new directory.
  TempDir tmp;
  AuditConfig plain = test::test_config(tmp.sub("audit"));
  {
    AuditLog log(plain);
    AuditEntry e = test::sample_entry(0);
    ASSERT_TRUE(log.append(e));
  }
  AuditConfig keyed = plain;
  keyed.hmac_key = "0123456789abcdef0123456789abcdef";
  AuditLog log(keyed);
  AuditEntry e = test::sample_entry(1);
  EXPECT_FALSE(log.append(e));
  EXPECT_EQ(log.last_error(), "audit log " + tmp.sub("audit") + ": the newest entry in " + tmp.sub("audit") +
                                  " does not verify with this HMAC key: the log was written with another key, or "
                                  "without one, or that entry was edited. Use a new audit directory when you change "
                                  "audit.hmacKeyFile");
  EXPECT_EQ(test::read_lines(tmp.sub("audit/audit.jsonl")).size(), 1u);
  EXPECT_TRUE(verify_audit_dir(tmp.sub("audit"), std::nullopt).ok);
}

TEST(AuditLog, AfterDeletedFilesACrashBeforeTheFirstNewlineIsNotCalledTorn) {
  // The first new entry links to the hash the lock file remembered, not to genesis: losing its
  // newline in a crash must not turn the writer's own entry into a "torn" record.
  TempDir tmp;
  {
    AuditLog log(test::test_config(tmp.path()));
    AuditEntry e = test::sample_entry(0);
    ASSERT_TRUE(log.append(e));
  }
  std::filesystem::remove(tmp.sub("audit.jsonl"));
  {
    AuditLog log(test::test_config(tmp.path()));
    AuditEntry e = test::sample_entry(1);
    ASSERT_TRUE(log.append(e));
  }
  std::string text = test::read_text(tmp.sub("audit.jsonl"));
  text.pop_back();
  test::write_text(tmp.sub("audit.jsonl"), text);
  {
    AuditLog log(test::test_config(tmp.path()));
    AuditEntry e = test::sample_entry(2);
    ASSERT_TRUE(log.append(e));
  }
  for (const auto& line : test::read_lines(tmp.sub("audit.jsonl")))
    EXPECT_EQ(line.find("torn_line"), std::string::npos) << line;
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 3u);
}

TEST(AuditLog, ALogOpenedButNeverWrittenIsNoChainToMiss) {
  // Opening commits the genesis hash to the lock file; a second writer finding no entries then
  // must not record files as missing.
  TempDir tmp;
  AuditLog first(test::test_config(tmp.path()));
  ASSERT_TRUE(first.open());
  AuditLog second(test::test_config(tmp.path()));
  AuditEntry e = test::sample_entry(0);
  ASSERT_TRUE(second.append(e));
  auto lines = test::read_lines(tmp.sub("audit.jsonl"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find("audit_recovered"), std::string::npos) << lines[0];
  EXPECT_EQ(e.prev, std::string(kGenesisHash));
}

TEST(AuditLog, FilesDeletedWhileNoWriterRanAreRecorded) {
  // The lock file remembers where the chain ended; a fresh start over deleted files goes on
  // from there after an audit_recovered entry instead of silently starting a new chain.
  TempDir tmp;
  std::string last_hash = write_then_close(tmp.path(), 3);
  std::filesystem::remove(tmp.sub("audit.jsonl"));
  AuditLog again(test::test_config(tmp.path()));
  AuditEntry e = test::sample_entry(9);
  ASSERT_TRUE(again.append(e));
  auto lines = test::read_lines(tmp.sub("audit.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  json::value recovered = json::parse(lines[0]);
  EXPECT_EQ(recovered.at("outcome"), "audit_recovered");
  EXPECT_EQ(recovered.at("errorCode"), "files_missing");
  EXPECT_EQ(recovered.at("prev"), json::value(last_hash));
  EXPECT_EQ(e.prev, std::string(recovered.at("hash").as_string()));
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_NE(dump(r).find("audit.jsonl:1: the writer found the audit files missing"), std::string::npos) << dump(r);
}

}  // namespace
}  // namespace toolgate
