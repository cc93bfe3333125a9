// Each kind of tampering, made on a copy of a real log, is detected and named by file and line.
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "audit/chain.hpp"
#include "test_helpers.hpp"
#include "util/digest.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <sys/stat.h>

namespace toolgate {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::TempDir;
using test::dump;

class VerifyTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    AuditLog log(test::test_config(original()));
    for (int i = 0; i < 6; ++i) {
      AuditEntry e = test::sample_entry(i);
      ASSERT_TRUE(log.append(e));
    }
  }
  std::string original() const { return tmp_.sub("original"); }
  // A copy of the log whose audit.jsonl lines were changed by `edit`.
  std::string tampered(const std::function<void(std::vector<std::string>&)>& edit) {
    std::string dir = tmp_.sub("copy" + std::to_string(++copies_));
    test::copy_dir(original(), dir);
    auto lines = test::read_lines(dir + "/audit.jsonl");
    edit(lines);
    test::write_lines(dir + "/audit.jsonl", lines);
    return dir;
  }
  TempDir tmp_;
  int copies_ = 0;
};

TEST_F(VerifyTamper, IntactLogVerifies) {
  VerifyReport r = verify_audit_dir(original(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 6u);
  EXPECT_EQ(r.files, 1u);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_TRUE(r.notes.empty()) << dump(r);
}

TEST_F(VerifyTamper, EditedField) {
  std::string dir = tampered([](auto& lines) {
    auto at = lines[2].find("alice@example.com");
    lines[2].replace(at, 17, "mallory@evil.test");
  });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0], "audit.jsonl:3: hash does not match the entry's contents (entry edited)");
}

TEST_F(VerifyTamper, EditedFieldWithRecomputedHash) {
  // An editor who recomputes the edited entry's own hash still breaks the next link.
  std::string dir = tampered([](auto& lines) {
    auto at = lines[2].find("\"latencyMs\":");
    lines[2].replace(at, 14, "\"latencyMs\":99");
    std::string canonical = lines[2].substr(0, lines[2].rfind(",\"hash\":")) + "}";
    std::string prev(json::parse(lines[2]).at("prev").as_string());
    lines[2] = line_with_hash(canonical, ChainHasher().link(prev, canonical));
  });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].rfind("audit.jsonl:4: chain broken: the entry it follows (prev ", 0), 0u) << dump(r);
  EXPECT_NE(r.problems[0].find("right after audit.jsonl:3 (an entry was deleted before it, or this entry was inserted)"),
            std::string::npos)
      << dump(r);
}

TEST_F(VerifyTamper, DeletedLine) {
  std::string dir = tampered([](auto& lines) { lines.erase(lines.begin() + 2); });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].rfind("audit.jsonl:3: chain broken", 0), 0u) << dump(r);
  EXPECT_NE(r.problems[0].find("deleted"), std::string::npos);
}

TEST_F(VerifyTamper, InsertedCopyOfAnEntry) {
  std::string dir = tampered([](auto& lines) { lines.insert(lines.begin() + 2, lines[0]); });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 2u) << dump(r);
  EXPECT_EQ(r.problems[0], "audit.jsonl:3: duplicate of the entry at audit.jsonl:1 (entry inserted)");
  EXPECT_EQ(r.problems[1].rfind("audit.jsonl:4: out of order: it follows the entry at audit.jsonl:2, but "
                                "audit.jsonl:3 comes between",
                                0),
            0u)
      << dump(r);
}

TEST_F(VerifyTamper, InsertedForeignLine) {
  std::string dir = tampered([](auto& lines) { lines.insert(lines.begin() + 3, R"({"actor":"ghost"})"); });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0], "audit.jsonl:4: not an audit entry (line inserted or damaged)");
}

TEST_F(VerifyTamper, InsertedForgedEntryWithValidHash) {
  // Without an HMAC key a forger can hash a new entry onto the chain; the next link exposes it.
  std::string dir = tampered([](auto& lines) {
    AuditEntry forged = test::sample_entry(42, "ghost");
    forged.id = "11111111-2222-4333-8444-555555555555";
    forged.timestamp = "2026-01-01T00:00:00.000Z";
    forged.trace_id = std::string(32, 'f');
    std::string prev(json::parse(lines[1]).at("hash").as_string());
    std::string canonical = canonical_from_prefix(canonical_prefix(forged), prev);
    lines.insert(lines.begin() + 2, line_with_hash(canonical, ChainHasher().link(prev, canonical)));
  });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].rfind("audit.jsonl:4: out of order: it follows the entry at audit.jsonl:2, but "
                                "audit.jsonl:3 comes between (an entry was inserted",
                                0),
            0u)
      << dump(r);
}

TEST_F(VerifyTamper, SwappedLines) {
  std::string dir = tampered([](auto& lines) { std::swap(lines[2], lines[3]); });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_GE(r.problems.size(), 2u) << dump(r);
  EXPECT_EQ(r.problems[0],
            "audit.jsonl:3: out of order: the entry it follows is at audit.jsonl:4, later in the log (entries "
            "reordered)");
  EXPECT_EQ(r.problems[1].rfind("audit.jsonl:4: out of order", 0), 0u) << dump(r);
}

TEST_F(VerifyTamper, TornLastLineIsTolerated) {
  std::string dir = tampered([](auto&) {});
  test::write_text(dir + "/audit.jsonl", test::read_text(dir + "/audit.jsonl") + "{\"id\":\"9");
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 6u);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "audit.jsonl:7: torn last line (8 bytes, no newline) from an interrupted write; ignored");
}

TEST_F(VerifyTamper, CompleteForeignLineAfterTheLastEntryIsNotTakenForATornWrite) {
  // A crash leaves no newline after its fragment; a whole line was put there by someone.
  std::string dir = tampered([](auto& lines) {
    std::string forged = lines.back();
    forged.erase(forged.find(",\"hash\":"));
    lines.push_back(forged + "}");
  });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok) << dump(r);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0],
            "audit.jsonl:7: not an audit entry (a complete line after the last entry: appended or damaged; an "
            "interrupted write leaves no newline)");
}

TEST_F(VerifyTamper, TheWriterRecordsOnlyATrueTornWriteAsTorn) {
  // A complete foreign line at the end is not laundered into the chain by the next writer: it
  // goes on from the last entry, says so on stderr, and verify keeps reporting the line.
  std::string dir = tampered([](auto& lines) { lines.push_back(R"({"actor":"root@forged","outcome":"success"})"); });
  {
    AuditLog log(test::test_config(dir));
    AuditEntry e = test::sample_entry(7);
    ASSERT_TRUE(log.append(e));
  }
  auto lines = test::read_lines(dir + "/audit.jsonl");
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[7].find("audit_recovered"), std::string::npos) << lines[7];
  EXPECT_EQ(json::parse(lines[7]).at("prev"), json::parse(lines[5]).at("hash"));
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0], "audit.jsonl:7: not an audit entry (line inserted or damaged)");
}

TEST_F(VerifyTamper, AnEntryShapedLineWithoutANewlineIsCheckedNotTakenForATornWrite) {
  // A torn write is a prefix of an entry; a whole entry-shaped line without a newline was put
  // there. verify checks it, and the next writer neither continues from its hash nor drops it.
  const std::string forged_line =
      R"({"id":"00000000-0000-4000-8000-000000000000","actor":"ceo@example.com","outcome":"success","hash":")" +
      std::string(64, 'a') + R"("})";
  std::string dir = tampered([](auto&) {});
  test::write_text(dir + "/audit.jsonl", test::read_text(dir + "/audit.jsonl") + forged_line);
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok) << dump(r);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0], "audit.jsonl:7: a whole entry's shape without a newline or a chain link (an interrupted "
                           "write cannot leave that: appended by something else)");
  {
    AuditLog log(test::test_config(dir));
    AuditEntry e = test::sample_entry(7);
    ASSERT_TRUE(log.append(e));
  }
  auto lines = test::read_lines(dir + "/audit.jsonl");
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[6], forged_line);
  json::value recovered = json::parse(lines[7]);
  EXPECT_EQ(recovered.at("outcome"), "audit_recovered");
  EXPECT_EQ(recovered.at("prev"), json::parse(lines[5]).at("hash")) << "the chain went on from the forged hash";
  EXPECT_EQ(recovered.at("input").at("tornLines").at(0).at("sha256"), json::value(sha256_hex(forged_line)));
}

TEST(Verify, OnlyRegularFilesAreRead) {
  // A FIFO would block an open for ever; a link to /dev/zero would never end.
  TempDir tmp;
  std::string dir = tmp.sub("log");
  {
    AuditLog log(test::test_config(dir));
    AuditEntry e = test::sample_entry(1);
    ASSERT_TRUE(log.append(e));
  }
  ASSERT_EQ(::mkfifo((dir + "/audit.8.jsonl").c_str(), 0600), 0);
  fs::create_symlink("/dev/zero", dir + "/audit.9.jsonl");
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problems, (std::vector<std::string>{"cannot read " + dir + "/audit.9.jsonl: not a regular file",
                                                  "cannot read " + dir + "/audit.8.jsonl: not a regular file"}))
      << dump(r);
}

TEST_F(VerifyTamper, TornLineInTheMiddleIsNotTolerated) {
  std::string dir = tampered([](auto& lines) { lines[2] = lines[2].substr(0, 40); });
  VerifyReport r = verify_audit_dir(dir, std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 2u) << dump(r);
  EXPECT_EQ(r.problems[0], "audit.jsonl:3: not an audit entry (line inserted or damaged)");
  EXPECT_EQ(r.problems[1].rfind("audit.jsonl:4: chain broken", 0), 0u) << dump(r);
}

TEST(Verify, DeletedMiddleFileIsNamed) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.path());
  c.max_file_bytes = 4096;
  c.max_files = 100;
  {
    AuditLog log(c);
    for (int i = 0; i < 40; ++i) {
      AuditEntry e = test::sample_entry(i);
      ASSERT_TRUE(log.append(e));
    }
  }
  ASSERT_TRUE(fs::exists(tmp.sub("audit.3.jsonl")));
  fs::remove(tmp.sub("audit.2.jsonl"));
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.problems.size(), 1u) << dump(r);
  EXPECT_EQ(r.problems[0].rfind("audit.1.jsonl:1: chain broken", 0), 0u) << dump(r);
  EXPECT_NE(r.problems[0].find("right after audit.3.jsonl:"), std::string::npos) << dump(r);
}

TEST(Verify, MissingDirectoryIsUnreadable) {
  VerifyReport r = verify_audit_dir("/nonexistent/audit", std::nullopt);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.unreadable);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0], "cannot read directory /nonexistent/audit: No such file or directory");
}

TEST(Verify, ADirectoryWithoutAuditFilesFails) {
  // A check pointed at the wrong directory, or run after every file was deleted, must not pass.
  TempDir tmp;
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.entries, 0u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0], tmp.path() + ": no audit files (audit.jsonl, audit.N.jsonl) to verify");
}

}  // namespace
}  // namespace toolgate
