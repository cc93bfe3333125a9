#include "audit/audit_cli.hpp"
#include "audit/audit_log.hpp"
#include "test_helpers.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace toolgate {
namespace {

namespace json = boost::json;
using test::TempDir;

struct CliRun {
  int code;
  std::string out, err;
};

CliRun run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = run_audit_command(args, out, err);
  return {code, out.str(), err.str()};
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override {
    AuditLog log(test::test_config(dir()));
    auto add = [&](const std::string& actor, const std::string& tool, AuditOutcome o, const std::string& ts,
                   int latency, const std::string& code = "") {
      AuditEntry e = test::sample_entry(0, actor);
      e.tool = tool;
      e.outcome = o;
      e.timestamp = ts;
      e.latency_ms = latency;
      e.error_code = code;
      ASSERT_TRUE(log.append(e));
    };
    add("alice@example.com", "dns.lookup", AuditOutcome::success, "2020-01-01T00:00:00.000Z", 5);
    add("bob@example.com", "files.read", AuditOutcome::insufficient_scope, "2020-01-02T00:00:00.000Z", 1,
        "insufficient_scope");
    add("alice@example.com", "dns.reverse", AuditOutcome::tool_error, "2020-01-03T00:00:00.000Z", 7, "nxdomain");
    add("alice@example.com", "files.read", AuditOutcome::success, "", 12);  // now
  }
  std::string dir() const { return tmp_.sub("audit"); }
  TempDir tmp_;
};

TEST_F(AuditCli, VerifyIntact) {
  CliRun r = run({"verify", dir()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "OK: 4 entries in 1 file(s) verified, chain intact\n");
  EXPECT_EQ(run({"audit", "verify", dir()}).code, 0);  // a leading "audit" is accepted
}

TEST_F(AuditCli, VerifyTampered) {
  auto lines = test::read_lines(dir() + "/audit.jsonl");
  lines.erase(lines.begin() + 1);
  test::write_lines(dir() + "/audit.jsonl", lines);
  CliRun r = run({"verify", dir()});
  EXPECT_EQ(r.code, 1);
  auto out = split_lines(r.out);
  ASSERT_EQ(out.size(), 2u) << r.out;
  EXPECT_EQ(out[0].rfind("FAIL: audit.jsonl:2: chain broken", 0), 0u) << r.out;
  EXPECT_EQ(out[1], "FAILED: 1 problem(s) in 3 entries, 1 file(s)");
}

TEST_F(AuditCli, VerifyWithKeyFile) {
  test::write_text(tmp_.sub("key"), "0123456789abcdef0123456789abcdef\n");
  CliRun wrong = run({"verify", dir(), "--hmac-key-file", tmp_.sub("key")});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.out.find("FAIL: no entry's hash matches its contents: wrong HMAC key, or the log was written "
                           "without one"),
            std::string::npos)
      << wrong.out;
  CliRun missing = run({"verify", dir(), "--hmac-key-file", tmp_.sub("nokey")});
  EXPECT_EQ(missing.code, 2);
  EXPECT_EQ(missing.err, "audit verify: cannot read HMAC key file " + tmp_.sub("nokey") +
                             ": No such file or directory\n");
}

TEST_F(AuditCli, VerifyMissingDirectory) {
  CliRun r = run({"verify", tmp_.sub("nothing")});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "FAIL: cannot read directory " + tmp_.sub("nothing") + ": No such file or directory\n");
  EXPECT_EQ(r.err, "audit verify: cannot read everything in " + tmp_.sub("nothing") + "\n");
}

TEST_F(AuditCli, TailPrintsLastEntries) {
  CliRun r = run({"tail", dir(), "-n", "2"});
  EXPECT_EQ(r.code, 0) << r.err;
  auto out = split_lines(r.out);
  ASSERT_EQ(out.size(), 2u) << r.out;
  EXPECT_EQ(out[0], "2020-01-03T00:00:00.000Z  alice@example.com@acme  dns.reverse  tool_error  7ms  nxdomain");
  EXPECT_NE(out[1].find("  alice@example.com@acme  files.read  success  12ms"), std::string::npos) << out[1];
  EXPECT_EQ(split_lines(run({"tail", dir()}).out).size(), 4u);
  CliRun bad = run({"tail", dir(), "-n", "many"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err, "audit tail: -n expects a whole number, got 'many'\n");
}

TEST(AuditCliRotated, TailAndQuerySpanRotatedFiles) {
  TempDir tmp;
  AuditConfig c = test::test_config(tmp.path());
  c.max_file_bytes = 4096;
  c.max_files = 100;
  {
    AuditLog log(c);
    for (int i = 0; i < 40; ++i) {
      AuditEntry e = test::sample_entry(i);
      e.latency_ms = i;
      ASSERT_TRUE(log.append(e));
    }
  }
  CliRun tail = run({"tail", tmp.path(), "-n", "12"});
  ASSERT_EQ(tail.code, 0) << tail.err;
  auto lines = split_lines(tail.out);
  ASSERT_EQ(lines.size(), 12u);
  for (int i = 0; i < 12; ++i)
    EXPECT_NE(lines[i].find("  " + std::to_string(28 + i) + "ms"), std::string::npos) << lines[i];
  CliRun all = run({"query", tmp.path(), "--json"});
  auto every = split_lines(all.out);
  ASSERT_EQ(every.size(), 40u);
  EXPECT_EQ(json::parse(every.front()).at("latencyMs"), json::value(0));
  EXPECT_EQ(json::parse(every.back()).at("latencyMs"), json::value(39));
}

TEST(AuditCliSafety, ControlCharactersNeverReachTheTerminal) {
  TempDir tmp;
  {
    AuditLog log(test::test_config(tmp.path()));
    AuditEntry e = test::sample_entry(1, "evil\x1b]0;owned\x07@x");
    e.tool = "t\nfake line";
    ASSERT_TRUE(log.append(e));
    // The 8-bit CSI (U+009B) and a right-to-left override (U+202E) drive or disguise too.
    AuditEntry f = test::sample_entry(2);
    f.tool = "evil\xc2\x9b" "31m\xe2\x80\xaeRED\xe2\x81\xa6x caf\xc3\xa9";
    ASSERT_TRUE(log.append(f));
  }
  CliRun r = run({"tail", tmp.path()});
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_NE(r.out.find("evil?]0;owned?@x@acme  t?fake line  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evil?31m?RED?x caf\xc3\xa9  "), std::string::npos) << r.out;
  EXPECT_EQ(split_lines(r.out).size(), 2u);
}

TEST_F(AuditCli, QueryFilters) {
  auto q = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"query", dir()};
    args.insert(args.end(), extra.begin(), extra.end());
    CliRun r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return split_lines(r.out);
  };
  EXPECT_EQ(q({"--actor", "bob@example.com"}),
            (std::vector<std::string>{
                "2020-01-02T00:00:00.000Z  bob@example.com@acme  files.read  insufficient_scope  1ms"}));
  EXPECT_EQ(q({"--actor", "alice@example.com"}).size(), 3u);
  EXPECT_EQ(q({"--tool", "files.read"}).size(), 2u);
  EXPECT_EQ(q({"--tool", "dns.*"}).size(), 2u);
  EXPECT_EQ(q({"--outcome", "tool_error"}).size(), 1u);
  EXPECT_EQ(q({"--since", "2020-01-02T00:00:00Z"}).size(), 3u);
  EXPECT_EQ(q({"--since", "1h"}).size(), 1u);
  EXPECT_EQ(q({"--actor", "alice@example.com", "--tool", "dns.*", "--since", "2020-01-02T12:00:00+02:00"}).size(), 1u);
  auto as_json = q({"--outcome", "success", "--json"});
  ASSERT_EQ(as_json.size(), 2u);
  EXPECT_EQ(json::parse(as_json[0]).at("tool"), json::value("dns.lookup"));
  EXPECT_EQ(as_json, (std::vector<std::string>{test::read_lines(dir() + "/audit.jsonl")[0],
                                               test::read_lines(dir() + "/audit.jsonl")[3]}));
}

TEST_F(AuditCli, QueryShowsOnlyEntriesAndSurvivesOddValues) {
  // A line without a hash (forged, or torn) is no entry; a hand-edited fractional latency is
  // shown as written instead of ending the listing; an age past 1970 means every entry.
  std::string text = test::read_text(dir() + "/audit.jsonl");
  test::write_text(dir() + "/audit.jsonl",
                   text + R"({"timestamp":"2020-01-05T00:00:00.000Z","actor":"root@forged","tool":"x","outcome":"success"})" "\n");
  auto lines = test::read_lines(dir() + "/audit.jsonl");
  std::string edited = lines[0];
  edited.replace(edited.find("\"latencyMs\":5,"), 14, "\"latencyMs\":1.5,");
  lines[0] = edited;
  test::write_lines(dir() + "/audit.jsonl", lines);
  CliRun all = run({"query", dir(), "--since", "999999999d"});
  EXPECT_EQ(all.code, 0) << all.err;
  auto out = split_lines(all.out);
  ASSERT_EQ(out.size(), 4u) << all.out;
  EXPECT_NE(out[0].find("  1.5ms"), std::string::npos) << out[0];
  EXPECT_EQ(all.out.find("forged"), std::string::npos) << all.out;
  CliRun tail = run({"tail", dir()});
  EXPECT_EQ(tail.code, 0) << tail.err;
  EXPECT_EQ(split_lines(tail.out).size(), 4u) << tail.out;
}

TEST_F(AuditCli, QueryRejectsBadArguments) {
  CliRun o = run({"query", dir(), "--outcome", "denied"});
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.err.rfind("audit query: unknown outcome 'denied'; expected one of: success, tool_error, ", 0), 0u)
      << o.err;
  CliRun s = run({"query", dir(), "--since", "last week"});
  EXPECT_EQ(s.code, 2);
  EXPECT_EQ(s.err.rfind("audit query: --since expects an RFC 3339 time", 0), 0u) << s.err;
  CliRun u = run({"query", dir(), "--color"});
  EXPECT_EQ(u.code, 2);
  EXPECT_EQ(u.err.rfind("audit: unknown option --color\nusage: toolgate audit verify", 0), 0u) << u.err;
  CliRun v = run({"query", dir(), "--actor"});
  EXPECT_EQ(v.code, 2);
  EXPECT_EQ(v.err.rfind("audit: --actor needs a value\n", 0), 0u) << v.err;
}

TEST_F(AuditCli, UsageErrors) {
  EXPECT_EQ(run({}).code, 2);
  CliRun h = run({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_EQ(h.out.rfind("usage: toolgate audit verify DIR", 0), 0u);
  CliRun c = run({"shred", dir()});
  EXPECT_EQ(c.code, 2);
  EXPECT_EQ(c.err.rfind("audit: unknown command 'shred'\n", 0), 0u);
  CliRun d = run({"tail"});
  EXPECT_EQ(d.code, 2);
  EXPECT_EQ(d.err.rfind("audit: missing DIR\n", 0), 0u);
}

}  // namespace
}  // namespace toolgate
