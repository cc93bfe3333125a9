// Calls run on the worker pool: ping and cancellation are served while tools run, responses come
// back out of order, timeouts and cancellations end calls exactly once, and misbehaving plugins
// (throwing, printing to stdout, returning nothing, breaking their schema) cost only their call.
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "results.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

TEST(Concurrency, PingIsAnsweredWhileACallRunsAndResponsesComeOutOfOrder) {
  RunningToolgate tg;
  tg->initialize();
  tg->send_json(call_request(1, "wait_for_release"));
  ASSERT_TRUE(tg->await_log("waiting for release")) << "plugin never logged 'waiting for release'";
  json::value ping = tg->request("ping");
  EXPECT_TRUE(ping.as_object().contains("result"));
  tg->send_json(call_request(2, "release"));
  // Call 2 was sent after call 1 and may finish first; both arrive, each exactly once.
  json::value r2 = tg->await_response(2);
  json::value r1 = tg->await_response(1);
  EXPECT_EQ(text_of(r2.as_object().at("result").as_object()), "ok");
  EXPECT_EQ(text_of(r1.as_object().at("result").as_object()), "released");
}

TEST(Concurrency, CancelledCallGetsNoResponseAndThePluginSeesIt) {
  RunningToolgate tg;
  tg->initialize();
  tg->send_json(call_request("c1", "honours_cancel"));
  ASSERT_TRUE(tg->await_log("started")) << "plugin never logged 'started'";
  tg->notify("notifications/cancelled", {{"requestId", "c1"}, {"reason", "user pressed stop"}});
  // The plugin observes is_cancelled and counts it; poll that count through the protocol.
  std::string count;
  for (int i = 0; i < 500 && count != "1"; ++i) count = text_of(tg->call_tool("cancel_count"));
  EXPECT_EQ(count, "1");
  tg->request("ping");
  tg->request("ping");
  for (const auto& m : tg->others())
    EXPECT_FALSE(m.as_object().contains("id") && m.as_object().at("id") == "c1") << "late response: " << json::serialize(m);
}

TEST(Concurrency, ToolThatNeverReturnsTimesOutAndTheServerKeepsServing) {
  RunningToolgate tg;
  tg->initialize();
  json::object r = tg->call_tool("hangs");
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_EQ(error_code_of(r), "timeout");
  EXPECT_NE(text_of(r).find("did not finish within 300 ms"), std::string::npos);
  // Several hung calls must not eat the pool: stand-in threads keep echo available.
  for (int i = 0; i < 10; ++i) tg->send_json(call_request(100 + i, "hangs"));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(error_code_of(tg->await_response(100 + i).as_object().at("result").as_object()), "timeout");
  EXPECT_EQ(text_of(tg->call_tool("echo", {{"text", "alive"}})), "alive");
}

TEST(Concurrency, PluginPrintingToStdoutCannotCorruptTheStream) {
  RunningToolgate tg;
  tg->initialize();
  json::object r = tg->call_tool("prints_stdout");
  EXPECT_EQ(text_of(r), "printed");
  EXPECT_EQ(text_of(tg->call_tool("echo", {{"text", "still clean"}})), "still clean");
  // Every line on stdout parsed as JSON (the harness throws otherwise); the prints went to stderr.
  tg->close_stdin();
  ASSERT_TRUE(tg->wait_exit(std::chrono::seconds(5)));
  std::string err = tg->stderr_text();
  EXPECT_NE(err.find("STRAY-PRINTF-OUTPUT"), std::string::npos);
  EXPECT_NE(err.find("STRAY-COUT-OUTPUT"), std::string::npos);
  EXPECT_NE(err.find("STRAY-WRITE-OUTPUT"), std::string::npos);
}

TEST(Concurrency, ThrowingToolBecomesAnErrorResult) {
  RunningToolgate tg;
  tg->initialize();
  json::object r = tg->call_tool("throws");
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_EQ(text_of(r), "disk quota exceeded in fixture");
  EXPECT_EQ(error_code_of(r), "tool_error");
}

TEST(Concurrency, ToolReturningNoResultIsAnInternalError) {
  RunningToolgate tg;
  tg->initialize();
  json::object r = tg->call_tool("no_result");
  EXPECT_EQ(error_code_of(r), "internal");
  EXPECT_NE(text_of(r).find("returned without a result (code -1)"), std::string::npos);
}

TEST(Concurrency, StructuredOutputIsCheckedAgainstOutputSchema) {
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  json::object good = tg->call_tool("good_output");
  EXPECT_EQ(good.at("structuredContent").as_object().at("count"), 3);
  json::object bad = tg->call_tool("bad_output");
  EXPECT_EQ(bad.at("isError"), true);
  EXPECT_NE(text_of(bad).find("does not match its outputSchema: $.count"), std::string::npos) << text_of(bad);
}

TEST(Concurrency, ElicitationRoundTripThroughTheClient) {
  RunningToolgate tg;
  tg->initialize("2025-06-18", {{"elicitation", json::object()}});
  tg->send_json(call_request("e1", "elicit"));
  // The server asks us something; answer it by id.
  std::optional<json::value> ask;
  for (int i = 0; i < 100 && !ask; ++i) {
    auto m = tg->read();
    ASSERT_TRUE(m);
    if (m->as_object().contains("method") && m->as_object().at("method") == "elicitation/create") ask = m;
  }
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->as_object().at("params").as_object().at("message"), "Proceed?");
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", ask->as_object().at("id")},
                             {"result", {{"action", "accept"}, {"content", {{"ok", true}}}}}});
  json::object r = tg->await_response("e1").as_object().at("result").as_object();
  EXPECT_EQ(text_of(r), R"(client said: {"action":"accept","content":{"ok":true}})");
}

TEST(Concurrency, NoElicitationInAModeOrVersionTheClientLacks) {
  // A form elicitation to a client that declared only URL mode, or to one on a version from
  // before elicitation existed, is never sent: the tool hears "unsupported" at once.
  struct Case {
    std::string version;
    json::object caps;
    std::string why;
  };
  for (const Case& c : {Case{"2025-11-25", {{"elicitation", {{"url", json::object()}}}}, "did not declare elicitation mode form"},
                        Case{"2025-03-26", {{"elicitation", json::object()}}, "did not declare the capability elicitation"}}) {
    RunningToolgate tg;
    tg->initialize(c.version, c.caps);
    json::object r = tg->call_tool("elicit");
    EXPECT_NE(text_of(r).find(c.why), std::string::npos) << c.version << ": " << json::serialize(r);
    for (const auto& m : tg->others())
      EXPECT_FALSE(m.as_object().contains("method") && m.as_object().at("method") == "elicitation/create")
          << c.version << ": sent " << json::serialize(m);
  }
}

TEST(Concurrency, AnUnansweredElicitationIsCancelledTowardsTheClient) {
  // The client never answers: after clientRequestTimeoutMs the server tells the client it no
  // longer waits (so its form can close), and the tool hears why in words.
  RunningToolgate tg(R"("server":{"clientRequestTimeoutMs":300})");
  tg->initialize("2025-06-18", {{"elicitation", json::object()}});
  tg->send_json(call_request("e2", "elicit"));
  json::object r = tg->await_response("e2").as_object().at("result").as_object();
  std::optional<json::value> asked_id;
  const json::object* cancelled = nullptr;
  for (const auto& m : tg->others()) {
    const json::object& o = m.as_object();
    if (o.contains("method") && o.at("method") == "elicitation/create") asked_id = o.at("id");
    if (o.contains("method") && o.at("method") == "notifications/cancelled") cancelled = &o;
  }
  ASSERT_TRUE(asked_id);
  ASSERT_NE(cancelled, nullptr);
  EXPECT_EQ(cancelled->at("params").at("requestId"), *asked_id);
  EXPECT_EQ(cancelled->at("params").at("reason"), "the client did not answer elicitation/create within 300 ms");
  EXPECT_NE(text_of(r).find("the client did not answer elicitation/create within 300 ms"), std::string::npos)
      << text_of(r);
}

TEST(Concurrency, ElicitationWithoutClientCapabilityFailsCleanly) {
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  json::object r = tg->call_tool("elicit");
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_NE(text_of(r).find("did not declare the capability elicitation"), std::string::npos) << text_of(r);
}

TEST(Concurrency, ManyPipelinedCallsAllAnswered) {
  RunningToolgate tg;
  tg->initialize();
  std::string burst;
  for (int i = 0; i < 2000; ++i)
    burst += json::serialize(call_request(i, "echo", {{"text", "m" + std::to_string(i)}})) + "\n";
  tg->send_raw(burst);
  for (int i = 0; i < 2000; ++i) {
    json::value r = tg->await_response(i);
    EXPECT_EQ(text_of(r.as_object().at("result").as_object()), "m" + std::to_string(i));
  }
}
