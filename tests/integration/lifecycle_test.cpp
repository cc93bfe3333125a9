// Process lifecycle: prompt exit when stdin closes, draining calls in flight, SIGTERM, and a
// client that vanishes (SIGPIPE) never killing the server before it finishes its work.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <set>

#include "fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

TEST(Lifecycle, ExitsZeroPromptlyWhenStdinClosesWhileIdle) {
  RunningToolgate tg;
  tg->initialize();
  auto start = std::chrono::steady_clock::now();
  tg->close_stdin();
  auto status = tg->wait_exit(std::chrono::seconds(1));
  ASSERT_TRUE(status) << "still running a second after stdin closed";
  EXPECT_EQ(*status, 0);
  (void)start;
}

TEST(Lifecycle, DrainsCallsInFlightBeforeExiting) {
  RunningToolgate tg;
  tg->initialize();
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", 5}, {"method", "tools/call"},
                             {"params", {{"name", "wait_for_release"}, {"arguments", json::object()}}}});
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", 6}, {"method", "tools/call"},
                             {"params", {{"name", "release"}, {"arguments", json::object()}}}});
  tg->close_stdin();
  json::value r = tg->await_response(5);
  EXPECT_EQ(r.as_object().at("result").as_object().at("content").as_array()[0].as_object().at("text"), "released");
  auto status = tg->wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
}

TEST(Lifecycle, StuckCallsAreEndedAfterTheGracePeriod) {
  RunningToolgate tg(R"("server":{"shutdownGraceMs":200})");
  tg->initialize();
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", 8}, {"method", "tools/call"},
                             {"params", {{"name", "wait_for_release"}, {"arguments", json::object()}}}});
  tg->close_stdin();
  json::value r = tg->await_response(8);
  std::string text(r.as_object().at("result").as_object().at("content").as_array()[0].as_object().at("text").as_string());
  EXPECT_NE(text.find("shut down before the tool finished"), std::string::npos) << text;
  auto status = tg->wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
  EXPECT_NE(tg->stderr_text().find("ended 1 call(s) still running after the grace period"), std::string::npos);
}

TEST(Lifecycle, SigtermExitsZero) {
  RunningToolgate tg;
  tg->initialize();
  tg->signal(SIGTERM);
  auto status = tg->wait_exit(std::chrono::seconds(2));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
  EXPECT_NE(tg->stderr_text().find("shutting down (SIGTERM)"), std::string::npos);
}

TEST(Lifecycle, ClientThatStopsReadingDoesNotKillTheServerWithSigpipe) {
  // Close our end of stdout; the server's next write gets EPIPE, which must not be fatal.
  TempDir dir;
  std::string plugins = dir.file("p");
  std::filesystem::create_directory(plugins);
  copy_plugin(staged_plugin_dir(), plugins, "echo");
  write_text(dir.file("policy.json"), anonymous_policy(plugins));
  McpProcess p({{"serve", "--config", dir.file("policy.json")}});
  p.initialize();
  p.close_stdout_for_test();
  p.send(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  p.send(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
  p.close_stdin();
  auto status = p.wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << "exit status " << *status << " (141 would be SIGPIPE)\n" << p.stderr_text();
}

TEST(Lifecycle, ResponsesQueuedForASlowReaderAllArriveBeforeExit) {
  // Far more response bytes than a pipe holds, none read until the server is shutting down: the
  // exit must wait for them (it used to end the process with most of them still queued).
  RunningToolgate tg;
  tg->initialize();
  constexpr int kCalls = 300;
  const std::string text(1024, 'x');
  for (int i = 1; i <= kCalls; ++i)
    tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", i}, {"method", "tools/call"},
                               {"params", {{"name", "echo"}, {"arguments", {{"text", text}}}}}});
  tg->close_stdin();
  ASSERT_TRUE(tg->await_stderr("shutting down (stdin closed)")) << tg->stderr_text();
  std::set<std::int64_t> answered;
  while (auto m = tg->read(std::chrono::seconds(10))) {
    const json::object& o = m->as_object();
    ASSERT_TRUE(o.contains("result")) << json::serialize(*m);
    answered.insert(o.at("id").to_number<std::int64_t>());
  }
  EXPECT_EQ(answered.size(), static_cast<std::size_t>(kCalls));
  auto status = tg->wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0);
  EXPECT_EQ(tg->stderr_text().find("still unwritten"), std::string::npos) << tg->stderr_text();
}
