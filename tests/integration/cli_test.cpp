// The command line: --help reads well, --version, usage errors, and `toolgate check` reports.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include "fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

struct CliRun {
  int status;
  std::string out;
  std::string err;
};

CliRun run(const std::vector<std::string>& args) {
  TempDir t;
  std::string cmd = toolgate_binary();
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >" + t.file("out") + " 2>" + t.file("err") + " </dev/null";
  int rc = std::system(cmd.c_str());
  return {WEXITSTATUS(rc), read_text(t.file("out")), read_text(t.file("err"))};
}

// A plugin directory holding echo, in `t`; returns its path.
std::string echo_plugins(TempDir& t) {
  std::string plugins = t.file("plugins");
  std::filesystem::create_directory(plugins);
  copy_plugin(staged_plugin_dir(), plugins, "echo");
  return plugins;
}

}  // namespace

TEST(Cli, HelpAndVersion) {
  CliRun h = run({"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("toolgate check --config FILE"), std::string::npos);
  EXPECT_NE(h.out.find("claude mcp add"), std::string::npos);
  CliRun sh = run({"serve", "--help"});
  EXPECT_NE(sh.out.find("--max-message-bytes"), std::string::npos);
  EXPECT_NE(sh.out.find("--plugin-dir"), std::string::npos);
  CliRun v = run({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("toolgate 0."), std::string::npos);
}

TEST(Cli, UsageErrorsAreClear) {
  CliRun r = run({"serve", "--no-such-flag"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unrecognised option '--no-such-flag'"), std::string::npos) << r.err;
  CliRun u = run({"frobnicate"});
  EXPECT_EQ(u.status, 2);
  EXPECT_NE(u.err.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Cli, ServeRefusesAnInvalidPolicyNamingThePath) {
  TempDir t;
  write_text(t.file("policy.json"), R"({"plugins":{"directory":"x"},"server":{"workers":0,"bogus":true}})");
  CliRun r = run({"serve", "--config", t.file("policy.json")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("$.server.workers: expected an integer from 1 to 256, got 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("$.server.bogus: unknown field"), std::string::npos) << r.err;
}

TEST(Cli, CheckPassesOnAHealthySetupAndFailsOnABrokenOne) {
  TempDir t;
  std::string plugins = echo_plugins(t);
  write_text(t.file("policy.json"), anonymous_policy(plugins));
  CliRun ok = run({"check", "--config", t.file("policy.json")});
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_NE(ok.out.find("ok    echo 1.0.0 (1 tools)"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("check passed"), std::string::npos);

  copy_plugin(fixture_plugin_dir(), plugins, "fx_abi_mismatch");
  CliRun bad = run({"check", "--config", t.file("policy.json")});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("ERROR plugin fx_abi_mismatch"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("check failed: 1 problem(s)"), std::string::npos);
}

TEST(Cli, CheckFailsWhenTheAuditTrailCannotBeWritten) {
  // serve would start and refuse every call; check must say so, not pass. (A directory under a
  // regular file cannot be made, whoever runs the test.)
  TempDir t;
  std::string plugins = echo_plugins(t);
  write_text(t.file("not-a-dir"), "x");
  write_text(t.file("policy.json"), anonymous_policy(plugins, R"("audit":{"directory":")" + t.file("not-a-dir") + R"(/audit"})"));
  CliRun r = run({"check", "--config", t.file("policy.json")});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("ERROR audit log " + t.file("not-a-dir") + "/audit: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(every call would be refused: audit.failMode is \"closed\")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check failed: 1 problem(s)"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("[info]"), std::string::npos) << "stray log lines in another format:\n" << r.err;
}

TEST(Cli, CheckWithAStuckPluginInitReportsItAndExitsCleanly) {
  // The init that was given up on is still running when check ends: the process must end
  // without running static destructors under it (an abort then, now and again).
  TempDir t;
  std::string plugins = echo_plugins(t);
  copy_plugin(fixture_plugin_dir(), plugins, "fx_slow_init");
  std::string fifo = t.file("init.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  write_text(t.file("policy.json"),
             "{\"plugins\":{\"directory\":\"" + plugins + "\",\"initTimeoutMs\":200,\"config\":{\"fx_slow_init\":{\"fifo\":\"" +
                 fifo + "\"}}},\"identity\":{\"anonymous\":{\"tenant\":\"t\",\"scopes\":[\"*\"]}}}");
  for (int round = 0; round < 3; ++round) {
    CliRun r = run({"check", "--config", t.file("policy.json")});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("init did not return within 200 ms (plugins.initTimeoutMs)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("check failed: 1 problem(s)"), std::string::npos) << r.out;
  }
}

TEST(Cli, CheckAndToolsShowTheScopeThePolicyEnforces) {
  // A `tools.<name>.scope` override is what calls are checked against, so that is what the
  // operator must see, not the manifest's own scope.
  TempDir t;
  std::string plugins = echo_plugins(t);
  write_text(t.file("policy.json"), anonymous_policy(plugins, R"("tools":{"echo":{"scope":"diag.read"}})"));
  CliRun check = run({"check", "--config", t.file("policy.json")});
  EXPECT_EQ(check.status, 0) << check.out;
  EXPECT_NE(check.out.find("echo  scope diag.read"), std::string::npos) << check.out;
  CliRun tools = run({"tools", "--config", t.file("policy.json")});
  EXPECT_EQ(tools.status, 0) << tools.err;
  EXPECT_NE(tools.out.find("scope diag.read]"), std::string::npos) << tools.out;
}

TEST(Cli, PolicyEntriesNamingNoLoadedToolAreWarnedAbout) {
  // A typo in an override meant to tighten a tool must not pass in silence.
  TempDir t;
  std::string plugins = echo_plugins(t);
  write_text(t.file("policy.json"),
             anonymous_policy(plugins, R"("tools":{"ecoh":{"scope":"x.y"},"echo":{"scope":"echo.read"}},)"
                                       R"("rateLimits":{"perTool":{"dsn_lookup":{"burst":1,"perSecond":1},)"
                                       R"("job_status":{"burst":5,"perSecond":1}}})"));
  CliRun r = run({"check", "--config", t.file("policy.json")});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("WARN  $.tools.ecoh: no loaded plugin provides a tool named 'ecoh'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("WARN  $.rateLimits.perTool.dsn_lookup: no loaded plugin"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("$.tools.echo:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("job_status:"), std::string::npos) << "host tools are known: " << r.out;
  McpProcess p({{"serve", "--config", t.file("policy.json")}});
  p.initialize();
  EXPECT_TRUE(p.await_stderr("policy: $.tools.ecoh: no loaded plugin provides a tool named 'ecoh'")) << p.stderr_text();
}

TEST(Cli, APolicyCanComeThroughAPipe) {
  // `--config <(generate-policy)` names a pipe: the operator chose it, so it is read (unlike a
  // FIFO found in a plugin directory).
  TempDir t;
  std::string plugins = echo_plugins(t);
  write_text(t.file("policy.json"), anonymous_policy(plugins));
  std::string cmd = "cat " + t.file("policy.json") + " | " + toolgate_binary() + " check --config /dev/stdin > " +
                    t.file("out") + " 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 0) << read_text(t.file("out"));
  EXPECT_NE(read_text(t.file("out")).find("check passed"), std::string::npos) << read_text(t.file("out"));
}

TEST(Cli, CheckReportsEveryPolicyProblemInOneRun) {
  // Problems in sections config.cpp parses and in those the areas parse are listed together.
  TempDir t;
  write_text(t.file("policy.json"),
             anonymous_policy(t.path(), R"("tenants":{"a":{"denyTools":[1]}},"redact":{"response":"x"},)"
                                        R"("rateLimits":{"perTenant":{"burst":0,"perSecond":1}},"audit":{"failMode":"x"})"));
  CliRun r = run({"check", "--config", t.file("policy.json")});
  EXPECT_EQ(r.status, 1);
  for (const char* e : {"$.tenants.a.denyTools[0]: expected a string", "$.redact.response: expected an array of strings",
                        "$.rateLimits.perTenant.burst: expected an integer >= 1", "$.audit.failMode: expected \"closed\" or \"open\""})
    EXPECT_NE(r.out.find("ERROR " + t.file("policy.json") + ": " + e), std::string::npos) << e << "\n" << r.out;
  EXPECT_NE(r.out.find("check failed: 4 problem(s)"), std::string::npos) << r.out;
}
