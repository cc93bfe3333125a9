#include "audit/audit_files.hpp"
#include "audit/audit_log.hpp"
#include "audit/audit_verify.hpp"
#include "test_helpers.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace toolgate {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::TempDir;
using test::dump;

TEST(AuditLog, WritesOneChainedLinePerEntry) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.sub("audit")));
  std::vector<AuditEntry> written;
  for (int i = 0; i < 5; ++i) {
    AuditEntry e = test::sample_entry(i);
    ASSERT_TRUE(log.append(e)) << log.last_error();
    written.push_back(e);
  }
  auto lines = test::read_lines(tmp.sub("audit/audit.jsonl"));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(written[0].prev, std::string(kGenesisHash));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    json::object o = json::parse(lines[i]).as_object();
    EXPECT_EQ(o.at("id"), json::value(written[i].id));
    EXPECT_EQ(o.at("hash"), json::value(written[i].hash));
    EXPECT_EQ(o.at("prev"), json::value(written[i].prev));
    if (i) {
      EXPECT_EQ(written[i].prev, written[i - 1].hash);
    }
    EXPECT_EQ(written[i].trace_id.size(), 32u);
  }
  VerifyReport r = verify_audit_dir(tmp.sub("audit"), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 5u);
  EXPECT_TRUE(r.notes.empty()) << dump(r);
}

TEST(AuditLog, EntriesMatchTheSchema) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  AuditEntry full = test::sample_entry(1);
  full.consent_id = "c-1";
  full.job_id = "j-1";
  full.error_message = "the upstream resolver timed out";
  full.trace_id = *trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  AuditEntry bare;  // nothing optional, unauthenticated
  bare.outcome = AuditOutcome::unauthenticated;
  bare.error_code = "unauthenticated";
  ASSERT_TRUE(log.append(full));
  ASSERT_TRUE(log.append(bare));
  test::write_text(tmp.sub("audit.jsonl"), test::read_text(tmp.sub("audit.jsonl")) + "{\"torn");
  AuditLog reopened(test::test_config(tmp.path()));
  AuditEntry after = test::sample_entry(2);
  ASSERT_TRUE(reopened.append(after));  // preceded by an audit_recovered entry
  auto lines = test::read_lines(tmp.sub("audit.jsonl"));
  ASSERT_EQ(lines.size(), 5u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == 2) continue;  // the torn line
    auto errors = test::schema_errors(json::parse(lines[i]));
    EXPECT_TRUE(errors.empty()) << "line " << i + 1 << ": " << (errors.empty() ? "" : errors[0]) << "\n" << lines[i];
  }
  EXPECT_EQ(json::parse(lines[0]).at("traceId"), json::value("4bf92f3577b34da6a3ce929d0e0e4736"));
  EXPECT_EQ(json::parse(lines[3]).at("outcome"), json::value("audit_recovered"));
  // And the schema really rejects a broken entry.
  json::value bad = json::parse(lines[0]);
  bad.as_object()["outcome"] = "maybe";
  bad.as_object()["extra"] = 1;
  EXPECT_EQ(test::schema_errors(bad).size() >= 2, true);
}

TEST(AuditLog, RedactsInputBeforeWriting) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  const std::string credential = "tgk_live_9f8e7d6c5b4a";
  log.redactor()->add_literal(credential);
  AuditEntry e = test::sample_entry(1);
  e.input = json::parse(R"({"password": "hunter2", "cmd": "login --key )" + credential +
                        R"(", "auth": "Bearer abcdefgh12345678"})");
  e.error_message = "login with " + credential + " failed";
  ASSERT_TRUE(log.append(e));
  std::string text = test::read_text(tmp.sub("audit.jsonl"));
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find(credential), std::string::npos);
  EXPECT_EQ(text.find("abcdefgh12345678"), std::string::npos);
  EXPECT_EQ(json::parse(text).at("input"),
            json::parse(R"({"password": "[REDACTED]", "cmd": "login --key [REDACTED]", "auth": "Bearer [REDACTED]"})"));
  EXPECT_EQ(json::parse(text).at("errorMessage"), json::value("login with [REDACTED] failed"));
}

TEST(AuditLog, CreatesPrivateDirectoryAndFiles) {
  TempDir tmp;
  mode_t old = ::umask(0);  // prove the modes do not depend on the umask
  {
    AuditConfig c = test::test_config(tmp.sub("a/b/audit"));
    c.max_file_bytes = 4096;
    AuditLog log(c);
    for (int i = 0; i < 30; ++i) {
      AuditEntry e = test::sample_entry(i);
      ASSERT_TRUE(log.append(e)) << log.last_error();
    }
  }
  ::umask(old);
  EXPECT_EQ(test::file_mode(tmp.sub("a")), 0700u);
  EXPECT_EQ(test::file_mode(tmp.sub("a/b/audit")), 0700u);
  ASSERT_TRUE(fs::exists(tmp.sub("a/b/audit/audit.1.jsonl")));
  for (const auto& e : fs::directory_iterator(tmp.sub("a/b/audit")))
    EXPECT_EQ(test::file_mode(e.path().string()), 0600u) << e.path();
}

TEST(AuditLog, TightensModeOfExistingFile) {
  TempDir tmp;
  test::write_text(tmp.sub("audit.jsonl"), "");
  ::chmod(tmp.sub("audit.jsonl").c_str(), 0644);
  AuditLog log(test::test_config(tmp.path()));
  AuditEntry e = test::sample_entry(1);
  ASSERT_TRUE(log.append(e));
  EXPECT_EQ(test::file_mode(tmp.sub("audit.jsonl")), 0600u);
}

TEST(AuditLog, ConcurrentAppendsGiveExactlyNEntriesInOneChain) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.path());
  c.max_file_bytes = 64 * 1024;  // rotate while threads race
  c.max_files = 1000;
  AuditLog log(c);
  constexpr int kThreads = 8, kPerThread = 150;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEntry e = test::sample_entry(i, "user" + std::to_string(t));
        if (!log.append(e)) ++failures;
        ids[t].push_back(e.id);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto lines = test::all_entry_lines(tmp.path());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::string> on_disk;
  for (const auto& l : lines) on_disk.insert(std::string(json::parse(l).at("id").as_string()));
  for (const auto& v : ids)
    for (const auto& id : v) EXPECT_TRUE(on_disk.count(id)) << id;
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_GT(r.files, 1u);
}

// append_then(): callers do not wait, yet each continuation runs only once its own entry is in
// the file; entries of waiting (append) and non-waiting callers share batches and one chain.
TEST(AuditLog, AppendThenContinuesOnlyAfterItsEntryIsInTheFile) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  constexpr int kThreads = 6, kPerThread = 40;
  std::mutex mu;
  std::map<std::string, int> continued;  // id -> how many times its continuation ran
  std::vector<std::string> missing, refused;
  std::vector<std::string> sync_ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        AuditEntry e = test::sample_entry(i, "user" + std::to_string(t));
        e.id = new_audit_id();
        if (t == 0) {  // one thread waits, as before: its entries ride in the same batches
          ASSERT_TRUE(log.append(e));
          std::lock_guard<std::mutex> lock(mu);
          sync_ids.push_back(e.id);
          continue;
        }
        std::string id = e.id;
        log.append_then(std::move(e), [&, id](bool ok) {
          // The file as it is now, read by the continuation itself.
          bool present = test::read_text(tmp.sub("audit.jsonl")).find("\"id\":\"" + id + "\"") != std::string::npos;
          std::lock_guard<std::mutex> lock(mu);
          ++continued[id];
          if (!ok) refused.push_back(id);
          if (!present) missing.push_back(id);
        });
      }
    });
  for (auto& th : threads) th.join();
  ASSERT_TRUE(log.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  EXPECT_TRUE(missing.empty()) << missing.size() << " continuations ran before their entry was in the file";
  EXPECT_TRUE(refused.empty());
  ASSERT_EQ(continued.size(), static_cast<std::size_t>((kThreads - 1) * kPerThread));
  for (const auto& [id, n] : continued) EXPECT_EQ(n, 1) << id;
  auto lines = test::all_entry_lines(tmp.path());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::set<std::string> on_disk;
  for (const auto& l : lines) on_disk.insert(std::string(json::parse(l).at("id").as_string()));
  EXPECT_EQ(on_disk.size(), lines.size()) << "each entry exactly once";
  for (const auto& id : sync_ids) EXPECT_TRUE(on_disk.count(id)) << id;
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
}

// A caller's thread is lent to the writer for a bounded number of batches; then a new thread
// takes over. Deterministic: the first continuation (on this thread, after batch 1) queues two
// more entries, so the queue is not empty when this thread's single lent round is used up.
TEST(AuditLog, WriterRoleMovesToANewThreadAfterItsLentRounds) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.path()));
  log.set_lent_rounds(1);
  std::mutex mu;
  std::vector<std::thread::id> nested_threads;
  std::thread::id first_thread;
  log.append_then(test::sample_entry(1), [&](bool ok) {
    EXPECT_TRUE(ok);
    first_thread = std::this_thread::get_id();
    for (int i = 2; i <= 3; ++i)
      log.append_then(test::sample_entry(i), [&](bool ok2) {
        EXPECT_TRUE(ok2);
        std::lock_guard<std::mutex> lock(mu);
        nested_threads.push_back(std::this_thread::get_id());
      });
  });
  ASSERT_TRUE(log.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  EXPECT_EQ(first_thread, std::this_thread::get_id());  // the caller wrote the first batch itself
  ASSERT_EQ(nested_threads.size(), 2u);
  for (auto id : nested_threads) EXPECT_NE(id, std::this_thread::get_id()) << "the caller was kept past its round";
  EXPECT_EQ(log.writer_handoffs(), 1u);
  EXPECT_EQ(test::all_entry_lines(tmp.path()).size(), 3u);
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
}

TEST(AuditLog, AppendThenReportsARefusedEntryAndDisabledLogsContinueAtOnce) {
  TempDir tmp;
  test::write_text(tmp.sub("not-a-dir"), "x");
  AuditLog broken(test::test_config(tmp.sub("not-a-dir/audit")));  // mkdir must fail
  std::optional<bool> result;
  broken.append_then(test::sample_entry(1), [&](bool ok) { result = ok; });
  ASSERT_TRUE(broken.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(*result);
  EXPECT_NE(broken.last_error().find("not-a-dir"), std::string::npos) << broken.last_error();

  AuditConfig off = test::test_config(tmp.sub("off"));
  off.enabled = false;
  AuditLog disabled(off);
  std::optional<bool> ran;
  disabled.append_then(test::sample_entry(2), [&](bool ok) { ran = ok; });
  EXPECT_EQ(ran, std::optional<bool>(true));  // ran before append_then returned
  EXPECT_FALSE(fs::exists(tmp.sub("off")));
}

TEST(AuditLog, ChainContinuesAcrossRotation) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.path());
  c.max_file_bytes = 4096;
  c.max_files = 100;
  AuditLog log(c);
  for (int i = 0; i < 60; ++i) {
    AuditEntry e = test::sample_entry(i);
    ASSERT_TRUE(log.append(e));
  }
  std::string error;
  auto files = list_audit_files(tmp.path(), error);
  ASSERT_TRUE(files);
  ASSERT_GT(files->size(), 3u);
  EXPECT_EQ(files->back().name, "audit.jsonl");
  EXPECT_EQ(files->front().name, "audit." + std::to_string(files->size() - 1) + ".jsonl");
  for (const auto& f : *files) EXPECT_LE(fs::file_size(f.path), 4096u) << f.name;
  // The first line of each newer file links to the last line of the file before it.
  for (std::size_t i = 1; i < files->size(); ++i) {
    auto older = test::read_lines((*files)[i - 1].path), newer = test::read_lines((*files)[i].path);
    EXPECT_EQ(json::parse(newer.front()).at("prev"), json::parse(older.back()).at("hash"));
  }
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 60u);
}

TEST(AuditLog, OldestFilesRotatedAwayStillVerify) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.path());
  c.max_file_bytes = 4096;
  c.max_files = 2;
  AuditLog log(c);
  for (int i = 0; i < 60; ++i) {
    AuditEntry e = test::sample_entry(i);
    ASSERT_TRUE(log.append(e));
  }
  EXPECT_FALSE(fs::exists(tmp.sub("audit.3.jsonl")));
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_LT(r.entries, 60u);
  ASSERT_EQ(r.notes.size(), 1u) << dump(r);
  EXPECT_EQ(r.notes[0], "audit.2.jsonl:1: the chain starts after entries that are not present (older files rotated away)");
}

TEST(AuditLog, TwoWritersOnOneDirectoryKeepOneChain) {
  // Two toolgate processes (two client sessions) sharing one audit directory: each AuditLog has
  // its own file descriptors, so the cross-process lock and staleness checks are what keep order.
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.path());
  c.max_file_bytes = 16 * 1024;
  c.max_files = 1000;
  AuditLog a(c), b(c);
  std::thread ta([&] {
    for (int i = 0; i < 150; ++i) {
      AuditEntry e = test::sample_entry(i, "a");
      ASSERT_TRUE(a.append(e)) << a.last_error();
    }
  });
  std::thread tb([&] {
    for (int i = 0; i < 150; ++i) {
      AuditEntry e = test::sample_entry(i, "b");
      ASSERT_TRUE(b.append(e)) << b.last_error();
    }
  });
  ta.join();
  tb.join();
  VerifyReport r = verify_audit_dir(tmp.path(), std::nullopt);
  EXPECT_TRUE(r.ok) << dump(r);
  EXPECT_EQ(r.entries, 300u);
  EXPECT_TRUE(r.notes.empty()) << dump(r);
}

TEST(AuditLog, HmacChainNeedsTheKey) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.sub("audit"));
  c.hmac_key = "0123456789abcdef0123456789abcdef";
  {
    AuditLog log(c);
    for (int i = 0; i < 4; ++i) {
      AuditEntry e = test::sample_entry(i);
      ASSERT_TRUE(log.append(e));
    }
  }
  VerifyReport good = verify_audit_dir(tmp.sub("audit"), c.hmac_key);
  EXPECT_TRUE(good.ok) << dump(good);
  EXPECT_EQ(good.entries, 4u);

  VerifyReport wrong = verify_audit_dir(tmp.sub("audit"), std::string("another key, 32 bytes long......"));
  EXPECT_FALSE(wrong.ok);
  ASSERT_EQ(wrong.problems.size(), 5u) << dump(wrong);
  // The explanation comes first: a long log's per-entry lines must not push it out of sight.
  EXPECT_EQ(wrong.problems[0], "no entry's hash matches its contents: wrong HMAC key, or the log was written without one");
  EXPECT_EQ(wrong.problems[1], "audit.jsonl:1: hash does not match the entry's contents (entry edited, or wrong HMAC key)");

  VerifyReport keyless = verify_audit_dir(tmp.sub("audit"), std::nullopt);
  EXPECT_FALSE(keyless.ok);
  EXPECT_EQ(keyless.problems.front(), "no entry's hash matches its contents: wrong HMAC key, or the log was written with one");
}

TEST(AuditLog, DisabledWritesNothing) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.sub("audit"));
  c.enabled = false;
  AuditLog log(c);
  AuditEntry e = test::sample_entry(1);
  EXPECT_TRUE(log.append(e));
  EXPECT_FALSE(fs::exists(tmp.sub("audit")));
}

TEST(AuditLog, NothingTouchesDiskBeforeFirstUse) {
  TempDir tmp;
  AuditLog log(test::test_config(tmp.sub("audit")));
  EXPECT_FALSE(fs::exists(tmp.sub("audit")));
}

}  // namespace
}  // namespace toolgate
