// Rate limits through the real binary: a flooding principal is stopped with a rate_limited result
// carrying retryAfterSeconds while another principal keeps working, and two toolgate processes
// drain one shared `host` bucket together (one user, several agent windows).
#include <gtest/gtest.h>

#include <filesystem>

#include "fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

// A policy for one anonymous tenant whose echo bucket holds `burst` calls and barely refills.
std::string policy_for(const std::string& plugins, const std::string& tenant, const std::string& store_path, int burst) {
  return "{\"plugins\":{\"directory\":\"" + plugins + "\"},\"identity\":{\"anonymous\":{\"tenant\":\"" + tenant +
         "\",\"scopes\":[\"*\"]}},\"rateLimits\":{\"store\":\"host\",\"hostStorePath\":\"" + store_path +
         "\",\"perTool\":{\"echo\":{\"burst\":" + std::to_string(burst) + ",\"perSecond\":0.01}}}}";
}

bool limited(const json::object& r) {
  return r.contains("isError") && r.at("_meta").as_object().at("dev.toolgate/error").as_object().at("code") == "rate_limited";
}

class RateLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins = dir.file("plugins");
    std::filesystem::create_directory(plugins);
    copy_plugin(staged_plugin_dir(), plugins, "echo");
  }
  std::unique_ptr<McpProcess> start(const std::string& tenant, int burst) {
    std::string file = dir.file("policy-" + tenant + ".json");
    write_text(file, policy_for(plugins, tenant, dir.file("buckets"), burst));
    auto p = std::make_unique<McpProcess>(McpProcess::Options{{"serve", "--config", file}});
    p->initialize();
    return p;
  }
  TempDir dir;
  std::string plugins;
};

}  // namespace

TEST_F(RateLimits, FloodingPrincipalIsLimitedWhileAnotherKeepsWorking) {
  auto flood = start("noisy", 5);
  auto calm = start("quiet", 5);
  int allowed = 0;
  json::object last;
  for (int i = 0; i < 20; ++i) {
    last = flood->call_tool("echo", {{"text", "spam"}});
    if (!limited(last)) ++allowed;
  }
  EXPECT_EQ(allowed, 5);
  ASSERT_TRUE(limited(last));
  const json::object& err = last.at("_meta").as_object().at("dev.toolgate/error").as_object();
  EXPECT_GE(err.at("retryAfterSeconds").as_int64(), 1);
  EXPECT_EQ(err.at("limit"), "tool");
  EXPECT_NE(std::string(err.at("message").as_string()).find("rate limit exceeded for tool echo"), std::string::npos);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limited(calm->call_tool("echo", {{"text", "fine"}}))) << i;
}

TEST_F(RateLimits, TwoProcessesShareOneHostBucket) {
  auto a = start("shared", 6);
  auto b = start("shared", 6);
  int allowed = 0;
  for (int i = 0; i < 6; ++i) {
    allowed += !limited(a->call_tool("echo", {{"text", "a"}}));
    allowed += !limited(b->call_tool("echo", {{"text", "b"}}));
  }
  EXPECT_EQ(allowed, 6) << "both processes must drain the same bucket";
}

TEST_F(RateLimits, AReloadThatChangesLimitsKeepsBucketsAndRunningCalls) {
  // Tightening one tool's limit during an incident must not refill every bucket, nor let a
  // principal at its in-flight cap start another call.
  auto policy = [&](const std::string& extra_tool) {
    return anonymous_policy(plugins, R"("rateLimits":{"maxInFlightPerPrincipal":1,"perTool":{"echo":{"burst":2,"perSecond":0.01})" +
                                         extra_tool + "}}");
  };
  copy_plugin(fixture_plugin_dir(), plugins, "fx_behaviours");
  std::string file = dir.file("policy.json");
  write_text(file, policy(""));
  McpProcess p({{"serve", "--config", file}});
  p.initialize();
  EXPECT_FALSE(limited(p.call_tool("echo", {{"text", "1"}})));
  EXPECT_FALSE(limited(p.call_tool("echo", {{"text", "2"}})));
  ASSERT_TRUE(limited(p.call_tool("echo", {{"text", "3"}})));
  auto reload = [&](const std::string& extra, std::size_t nth) {
    write_text(file + ".new", policy(extra));
    std::filesystem::rename(file + ".new", file);
    ASSERT_TRUE(p.await_stderr("policy reloaded (file change)", nth)) << p.stderr_text();
  };
  reload(R"(,"whoami":{"burst":50,"perSecond":1})", 1);
  json::object after = p.call_tool("echo", {{"text", "4"}});
  ASSERT_TRUE(limited(after)) << "the reload refilled the echo bucket: " << json::serialize(after);
  EXPECT_EQ(after.at("_meta").at("dev.toolgate/error").at("limit"), "tool");

  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", "held"}, {"method", "tools/call"},
                           {"params", {{"name", "honours_cancel"}, {"arguments", json::object()}}}});
  json::object second = p.call_tool("whoami");
  ASSERT_TRUE(limited(second)) << json::serialize(second);
  EXPECT_EQ(second.at("_meta").at("dev.toolgate/error").at("limit"), "inflight");
  reload(R"(,"whoami":{"burst":40,"perSecond":1})", 2);
  json::object third = p.call_tool("whoami");
  ASSERT_TRUE(limited(third)) << "a second call ran beside the one in flight: " << json::serialize(third);
  EXPECT_EQ(third.at("_meta").at("dev.toolgate/error").at("limit"), "inflight");
}

TEST_F(RateLimits, ConfigErrorsNameThePath) {
  write_text(dir.file("bad.json"), "{\"plugins\":{\"directory\":\"" + plugins +
                                       "\"},\"identity\":{\"anonymous\":{\"scopes\":[\"*\"]}},\"rateLimits\":{\"perTenant\":{\"burst\":0,\"perSecond\":1}}}");
  McpProcess p({{"serve", "--config", dir.file("bad.json")}});
  auto status = p.wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.stderr_text().find("$.rateLimits.perTenant.burst: expected an integer >= 1"), std::string::npos)
      << p.stderr_text();
}
