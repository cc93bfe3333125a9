// The declarative policy through the real binary: per-tenant tool allow/deny lists (hidden from
// tools/list, refused and audited as `forbidden`), and reload on SIGHUP and on file changes —
// atomic, refusing bad files and restart-only changes while the old policy stays in force,
// letting calls in flight finish under the policy they started with, and losing no call or
// audit entry when reloads happen under load.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "fixture.hpp"
#include "results.hpp"
#include "util/digest.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace toolgate::testing;

namespace {

std::set<std::string> listed_tools(McpProcess& p) {
  std::set<std::string> names;
  json::value r = p.request("tools/list");
  for (const auto& t : r.as_object().at("result").as_object().at("tools").as_array())
    names.insert(std::string(t.as_object().at("name").as_string()));
  return names;
}

// Replaces the file the way editors and deployment tools do: write a new file, rename it over.
void replace_file(const std::string& path, const std::string& text) {
  write_text(path + ".new", text);
  fs::rename(path + ".new", path);
}

const std::string kAudit = R"("audit":{"directory":"audit"})";

}  // namespace

TEST(TenantTools, DeniedToolIsHiddenRefusedAndAuditedAsForbidden) {
  // "all" would list every tool; a tenant's deny list still hides its tools.
  RunningToolgate tg(kAudit + R"(,"toolList":"all","tenants":{"test":{"denyTools":["delete_*","ech?"]}})");
  tg->initialize();
  std::set<std::string> names = listed_tools(*tg);
  EXPECT_FALSE(names.count("echo"));
  EXPECT_FALSE(names.count("delete_thing"));
  EXPECT_TRUE(names.count("whoami"));

  json::object r = tg->call_tool("echo", {{"text", "hi"}});
  EXPECT_TRUE(r.at("isError").as_bool());
  EXPECT_EQ(error_code_of(r), "forbidden");
  EXPECT_EQ(text_of(r), "tool echo is forbidden for tenant 'test' by the policy (tenants.test.denyTools: \"ech?\")");
  EXPECT_EQ(text_of(tg->call_tool("whoami")).empty(), false);

  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].at("tool"), "echo");
  EXPECT_EQ(all[0].at("outcome"), "forbidden");
  EXPECT_EQ(all[0].at("errorCode"), "forbidden");
  EXPECT_EQ(all[1].at("outcome"), "success");
}

TEST(TenantTools, AllowListShowsAndRunsOnlyItsTools) {
  RunningToolgate tg(R"("tenants":{"test":{"allowTools":["whoami","echo"]},"other":{"denyTools":["whoami"]}})");
  tg->initialize();
  EXPECT_EQ(listed_tools(*tg), (std::set<std::string>{"echo", "whoami"}));
  EXPECT_EQ(text_of(tg->call_tool("echo", {{"text", "ok"}})), "ok");
  json::object r = tg->call_tool("release");
  EXPECT_EQ(error_code_of(r), "forbidden");
  EXPECT_EQ(text_of(r), "tool release is forbidden for tenant 'test' by the policy (not in tenants.test.allowTools)");
}

TEST(TenantTools, PolicyErrorsNameThePath) {
  TempDir t;
  write_text(t.file("policy.json"),
             anonymous_policy(t.path(), R"("tenants":{"acme":{"allowTools":"dns_*","deny":["x"]}})"));
  McpProcess p({{"serve", "--config", t.file("policy.json")}});
  auto status = p.wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.stderr_text().find("$.tenants.acme.allowTools: expected an array of strings"), std::string::npos)
      << p.stderr_text();
  EXPECT_NE(p.stderr_text().find("$.tenants.acme.deny: unknown field"), std::string::npos) << p.stderr_text();
}

TEST(Reload, SighupAppliesTheNewPolicyAndTheAuditDigestChanges) {
  RunningToolgate tg(kAudit);
  std::string file = tg.dir().file("policy.json");
  std::string before = read_text(file);
  tg->initialize();
  EXPECT_EQ(text_of(tg->call_tool("echo", {{"text", "a"}})), "a");

  std::string after = anonymous_policy(tg.dir().file("plugins"), kAudit + R"(,"tenants":{"test":{"denyTools":["echo"]}})");
  write_text(file, after);  // in place; the watcher may reload it too, SIGHUP must in any case
  tg->signal(SIGHUP);
  ASSERT_TRUE(tg->await_stderr("policy reloaded (SIGHUP)")) << tg->stderr_text();
  EXPECT_EQ(error_code_of(tg->call_tool("echo", {{"text", "b"}})), "forbidden");
  EXPECT_FALSE(listed_tools(*tg).count("echo"));

  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(std::string(all[0].at("policyDigest").as_string()), toolgate::sha256_hex(before));
  EXPECT_EQ(std::string(all[1].at("policyDigest").as_string()), toolgate::sha256_hex(after));
  EXPECT_NE(all[0].at("policyDigest"), all[1].at("policyDigest"));
}

TEST(Reload, RenamingANewFileOverThePolicyReloadsIt) {
  RunningToolgate tg;
  std::string file = tg.dir().file("policy.json");
  tg->initialize();
  EXPECT_TRUE(listed_tools(*tg).count("echo"));
  replace_file(file, anonymous_policy(tg.dir().file("plugins"), R"("tenants":{"test":{"allowTools":["echo"]}})"));
  ASSERT_TRUE(tg->await_stderr("policy reloaded (file change)")) << tg->stderr_text();
  // The client is told the list changed, and the new list is what the new policy allows.
  bool told = false;
  for (const auto& m : tg->others()) told = told || (m.as_object().contains("method") && m.as_object().at("method") == "notifications/tools/list_changed");
  while (!told) {
    auto m = tg->read();
    ASSERT_TRUE(m) << "no notifications/tools/list_changed after the reload";
    told = m->as_object().contains("method") && m->as_object().at("method") == "notifications/tools/list_changed";
  }
  EXPECT_EQ(listed_tools(*tg), (std::set<std::string>{"echo"}));
}

// A Kubernetes ConfigMap mount: DIR/policy.json -> ..data/policy.json and ..data -> ..<version>.
// An update writes a new version directory and renames a new ..data link over the old one; no
// event ever names policy.json, yet the new policy must take over.
TEST(Reload, SwappingAConfigMapsDataLinkReloadsIt) {
  TempDir t;
  std::string plugins = t.file("plugins");
  fs::create_directory(plugins);
  copy_plugin(staged_plugin_dir(), plugins, "echo");
  std::string mount = t.file("config");
  fs::create_directories(mount + "/..v1");
  write_text(mount + "/..v1/policy.json", anonymous_policy(plugins));
  fs::create_directory_symlink("..v1", mount + "/..data");
  fs::create_symlink("..data/policy.json", mount + "/policy.json");
  McpProcess p({{"serve", "--config", mount + "/policy.json"}});
  p.initialize();
  EXPECT_EQ(text_of(p.call_tool("echo", {{"text", "a"}})), "a");

  fs::create_directories(mount + "/..v2");
  write_text(mount + "/..v2/policy.json", anonymous_policy(plugins, R"("tenants":{"test":{"denyTools":["echo"]}})"));
  fs::create_directory_symlink("..v2", mount + "/..data_tmp");
  fs::rename(mount + "/..data_tmp", mount + "/..data");
  ASSERT_TRUE(p.await_stderr("policy reloaded (file change)")) << p.stderr_text();
  EXPECT_EQ(error_code_of(p.call_tool("echo", {{"text", "b"}})), "forbidden");

  // The next update goes through the new target as well.
  fs::create_directories(mount + "/..v3");
  write_text(mount + "/..v3/policy.json", anonymous_policy(plugins));
  fs::create_directory_symlink("..v3", mount + "/..data_tmp");
  fs::rename(mount + "/..data_tmp", mount + "/..data");
  ASSERT_TRUE(p.await_stderr("policy reloaded (file change)", 2)) << p.stderr_text();
  EXPECT_EQ(text_of(p.call_tool("echo", {{"text", "c"}})), "c");
}

// The policy path is a link to a file elsewhere, and that file is replaced (written to a temporary
// name and renamed over): the change happens only in the target's directory.
TEST(Reload, ReplacingTheFileALinkedPolicyPointsToReloadsIt) {
  TempDir t;
  std::string plugins = t.file("plugins");
  fs::create_directory(plugins);
  copy_plugin(staged_plugin_dir(), plugins, "echo");
  fs::create_directories(t.file("releases"));
  fs::create_directories(t.file("etc"));
  write_text(t.file("releases/current.json"), anonymous_policy(plugins));
  fs::create_symlink(t.file("releases/current.json"), t.file("etc/policy.json"));
  McpProcess p({{"serve", "--config", t.file("etc/policy.json")}});
  p.initialize();
  EXPECT_EQ(text_of(p.call_tool("echo", {{"text", "a"}})), "a");
  replace_file(t.file("releases/current.json"),
               anonymous_policy(plugins, R"("tenants":{"test":{"denyTools":["echo"]}})"));
  ASSERT_TRUE(p.await_stderr("policy reloaded (file change)")) << p.stderr_text();
  EXPECT_EQ(error_code_of(p.call_tool("echo", {{"text", "b"}})), "forbidden");
}

// A plain policy file replaced by a link (`ln -sf`): the link is noticed, and from then on so is
// a change where it points.
TEST(Reload, APolicyThatBecomesALinkIsFollowed) {
  RunningToolgate tg;
  std::string file = tg.dir().file("policy.json");
  std::string plugins = tg.dir().file("plugins");
  tg->initialize();
  fs::create_directories(tg.dir().file("releases"));
  write_text(tg.dir().file("releases/current.json"),
             anonymous_policy(plugins, R"("tenants":{"test":{"denyTools":["echo"]}})"));
  fs::remove(file);
  fs::create_symlink(tg.dir().file("releases/current.json"), file);
  ASSERT_TRUE(tg->await_stderr("policy reloaded (file change)")) << tg->stderr_text();
  EXPECT_EQ(error_code_of(tg->call_tool("echo", {{"text", "a"}})), "forbidden");

  replace_file(tg.dir().file("releases/current.json"), anonymous_policy(plugins));
  ASSERT_TRUE(tg->await_stderr("policy reloaded (file change)", 2)) << tg->stderr_text();
  EXPECT_EQ(text_of(tg->call_tool("echo", {{"text", "b"}})), "b");
}

TEST(Reload, WritingThePolicyInPlaceReloadsIt) {
  RunningToolgate tg;
  tg->initialize();
  write_text(tg.dir().file("policy.json"),
             anonymous_policy(tg.dir().file("plugins"), R"("tenants":{"test":{"denyTools":["whoami"]}})"));
  ASSERT_TRUE(tg->await_stderr("policy reloaded (file change)")) << tg->stderr_text();
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "forbidden");
}

TEST(Reload, AnInvalidPolicyIsRefusedAndTheOldOneStays) {
  RunningToolgate tg(R"("tenants":{"test":{"denyTools":["whoami"]}})");
  std::string file = tg.dir().file("policy.json");
  tg->initialize();
  std::string plugins = tg.dir().file("plugins");

  replace_file(file, anonymous_policy(plugins, R"("rateLimits":{"perTenant":{"burst":0,"perSecond":1}})"));
  ASSERT_TRUE(tg->await_stderr("policy reload (file change) refused, the running policy stays in force"))
      << tg->stderr_text();
  EXPECT_NE(tg->stderr_text().find("$.rateLimits.perTenant.burst: expected an integer >= 1"), std::string::npos)
      << tg->stderr_text();
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "forbidden");  // still the old policy

  replace_file(file, "{\"plugins\": ");  // torn JSON, as a crashed writer would leave it
  ASSERT_TRUE(tg->await_stderr("policy reload (file change) refused", 2)) << tg->stderr_text();
  EXPECT_NE(tg->stderr_text().find("invalid JSON"), std::string::npos) << tg->stderr_text();
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "forbidden");

  // A section another area parses (identity) is validated before the swap too.
  replace_file(file, anonymous_policy(plugins, R"("audit":{"failMode":"sometimes"})"));
  ASSERT_TRUE(tg->await_stderr("policy reload (file change) refused", 3)) << tg->stderr_text();
  EXPECT_NE(tg->stderr_text().find("$.audit.failMode: expected \"closed\" or \"open\""), std::string::npos)
      << tg->stderr_text();

  // A valid file afterwards is applied.
  replace_file(file, anonymous_policy(plugins));
  ASSERT_TRUE(tg->await_stderr("policy reloaded (file change)")) << tg->stderr_text();
  EXPECT_NE(text_of(tg->call_tool("whoami")), "");
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "");
}

TEST(Reload, ARestartOnlyChangeRefusesTheWholeReload) {
  RunningToolgate tg;
  tg->initialize();
  replace_file(tg.dir().file("policy.json"),
               anonymous_policy(tg.dir().file("plugins"),
                                R"("server":{"workers":3},"tenants":{"test":{"denyTools":["whoami"]}})"));
  ASSERT_TRUE(tg->await_stderr("policy reload (file change) refused")) << tg->stderr_text();
  std::string err = tg->stderr_text();
  EXPECT_NE(err.find("take effect only at start-up, restart toolgate to apply them"), std::string::npos) << err;
  EXPECT_NE(err.find("$.server.workers (8 -> 3)"), std::string::npos) << err;
  // Nothing of the file was applied, not even the part that could have been.
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "");
}

TEST(Reload, TurningPluginWatchingOnOrOffNeedsARestart) {
  // It is read once, when the watch starts: a reload claiming to apply it would be a lie.
  RunningToolgate tg;
  tg->initialize();
  std::string plugins = tg.dir().file("plugins");
  replace_file(tg.dir().file("policy.json"),
               R"({"plugins":{"directory":")" + plugins +
                   R"(","watch":false},"identity":{"anonymous":{"tenant":"test","scopes":["*"]}}})");
  ASSERT_TRUE(tg->await_stderr("policy reload (file change) refused")) << tg->stderr_text();
  EXPECT_NE(tg->stderr_text().find("$.plugins.watch ("), std::string::npos) << tg->stderr_text();
}

TEST(Reload, ANewAuditDirectoryThatCannotBeWrittenIsRefused) {
  // Swapping a working audit trail for a broken one would refuse every call from then on.
  RunningToolgate tg(kAudit);
  tg->initialize();
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "");
  replace_file(tg.dir().file("policy.json"),
               anonymous_policy(tg.dir().file("plugins"), R"("audit":{"directory":"/proc/no-such-audit"})"));
  ASSERT_TRUE(tg->await_stderr("policy reload (file change) refused, the running policy stays in force"))
      << tg->stderr_text();
  EXPECT_NE(tg->stderr_text().find("$.audit: the new audit trail cannot be written"), std::string::npos)
      << tg->stderr_text();
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "");
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  EXPECT_EQ(audit_entries(tg.dir().file("audit")).size(), 2u);
}

TEST(Reload, ACallInFlightFinishesUnderThePolicyItStartedWith) {
  RunningToolgate tg(kAudit);
  std::string file = tg.dir().file("policy.json");
  std::string before = read_text(file);
  tg->initialize();
  tg->send_json(call_request("w", "wait_for_release"));
  ASSERT_TRUE(tg->await_log("waiting for release")) << "plugin never logged 'waiting for release'";

  std::string after =
      anonymous_policy(tg.dir().file("plugins"), kAudit + R"(,"tenants":{"test":{"denyTools":["wait_for_release"]}})");
  replace_file(file, after);
  ASSERT_TRUE(tg->await_stderr("policy reloaded (file change)")) << tg->stderr_text();
  EXPECT_EQ(text_of(tg->call_tool("release")), "ok");
  json::object w = tg->await_response("w").as_object().at("result").as_object();
  EXPECT_EQ(text_of(w), "released");
  EXPECT_EQ(error_code_of(tg->call_tool("wait_for_release")), "forbidden");  // new calls: new policy

  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 3u);
  std::map<std::string, json::object> by_outcome_tool;
  for (auto& e : all) by_outcome_tool[std::string(e.at("tool").as_string()) + "/" + std::string(e.at("outcome").as_string())] = e;
  ASSERT_TRUE(by_outcome_tool.count("wait_for_release/success"));
  EXPECT_EQ(std::string(by_outcome_tool["wait_for_release/success"].at("policyDigest").as_string()), toolgate::sha256_hex(before));
  EXPECT_EQ(std::string(by_outcome_tool["release/success"].at("policyDigest").as_string()), toolgate::sha256_hex(after));
  EXPECT_EQ(std::string(by_outcome_tool["wait_for_release/forbidden"].at("policyDigest").as_string()), toolgate::sha256_hex(after));
}

TEST(Reload, UnderLoadNoCallAndNoAuditEntryIsLost) {
  RunningToolgate tg(kAudit);
  std::string file = tg.dir().file("policy.json");
  std::string plugins = tg.dir().file("plugins");
  tg->initialize();
  // Each variant is valid and lets echo run; they differ so every write is a real reload. The
  // audit section differs too (maxFiles), so each reload also replaces the audit log while
  // calls are still writing through the previous one: the chain must stay one chain.
  std::vector<std::string> variants;
  std::set<std::string> digests{toolgate::sha256_hex(read_text(file))};
  constexpr int kReloads = 6, kPerRound = 80;
  for (int i = 0; i < kReloads; ++i) {
    variants.push_back(anonymous_policy(plugins, "\"audit\":{\"directory\":\"audit\",\"maxFiles\":" + std::to_string(5 + i) +
                                                     "},\"tools\":{\"echo\":{\"scope\":\"echo.v" + std::to_string(i) +
                                                     "\"}},\"tenants\":{\"test\":{\"denyTools\":[\"x" +
                                                     std::to_string(i) + "\"]}}"));
    digests.insert(toolgate::sha256_hex(variants.back()));
  }
  int sent = 0;
  for (int round = 0; round < kReloads; ++round) {
    for (int i = 0; i < kPerRound; ++i, ++sent)
      tg->send_json(call_request(sent, "echo", {{"text", "m" + std::to_string(sent)}}));
    // Reload while those calls are queued and running; then keep sending while it happens.
    if (round % 2 == 0)
      replace_file(file, variants[round]);
    else
      tg->signal((write_text(file, variants[round]), SIGHUP));
    ASSERT_TRUE(tg->await_stderr("policy reloaded (", round + 1, std::chrono::seconds(20))) << tg->stderr_text();
  }
  for (int i = 0; i < kPerRound; ++i, ++sent) tg->send_json(call_request(sent, "echo", {{"text", "m" + std::to_string(sent)}}));
  for (int id = 0; id < sent; ++id) {
    json::object r = tg->await_response(id).as_object().at("result").as_object();
    ASSERT_EQ(text_of(r), "m" + std::to_string(id)) << json::serialize(r);
  }
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(sent));
  std::set<std::int64_t> ids;
  std::set<std::string> seen_digests;
  for (const auto& e : all) {
    EXPECT_EQ(e.at("outcome"), "success");
    ids.insert(e.at("requestId").as_int64());
    seen_digests.insert(std::string(e.at("policyDigest").as_string()));
    EXPECT_TRUE(digests.count(std::string(e.at("policyDigest").as_string()))) << e.at("policyDigest");
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(sent));
  EXPECT_GE(seen_digests.size(), 2u);  // at least the first and the last policy both audited calls
  // The chain is intact across every reload.
  std::string out = tg.dir().file("verify.out");
  int rc = std::system((toolgate_binary() + " audit verify " + tg.dir().file("audit") + " > " + out + " 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 0) << read_text(out);
}

TEST(Reload, WithWatchingOffOnlySighupReloads) {
  RunningToolgate tg(R"("server":{"watchPolicyFile":false})");
  std::string file = tg.dir().file("policy.json");
  tg->initialize();
  std::string plugins = tg.dir().file("plugins");
  replace_file(file, anonymous_policy(plugins, R"("server":{"watchPolicyFile":false},"tenants":{"test":{"denyTools":["whoami"]}})"));
  // The rename is an inotify event before the signal is even sent; a watcher would have queued
  // its reload by the time SIGHUP's is logged, and its line would follow within the same ping.
  tg->signal(SIGHUP);
  ASSERT_TRUE(tg->await_stderr("policy reloaded (SIGHUP)")) << tg->stderr_text();
  tg->request("ping");
  EXPECT_EQ(error_code_of(tg->call_tool("whoami")), "forbidden");
  EXPECT_EQ(tg->stderr_text().find("(file change)"), std::string::npos) << tg->stderr_text();
}
