// 2026-07-28 subscriptions/listen through the real binary: the acknowledgement names only what
// toolgate honours, tools/list_changed after a reload goes only to streams that asked for it
// (tagged with the stream's id) and never unsolicited to stateless clients, a cancelled stream
// hears nothing more, and shutdown answers every open listen request (the graceful close).
#include <gtest/gtest.h>

#include <csignal>

#include "fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

json::object modern_meta() {
  return json::object{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                      {"io.modelcontextprotocol/clientCapabilities", json::object()}};
}

void listen(McpProcess& p, const json::value& id, json::object filter) {
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", "subscriptions/listen"},
                           {"params", {{"notifications", std::move(filter)}, {"_meta", modern_meta()}}}});
}

// Reads until a notification with `method` arrives; everything else stays in others().
json::object await_notification(McpProcess& p, const std::string& method) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto it = p.others().begin(); it != p.others().end(); ++it)
    if (it->as_object().if_contains("method") && it->as_object().at("method") == method.c_str()) {
      json::object n = it->as_object();
      p.others().erase(it);
      return n;
    }
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = p.read(std::chrono::seconds(10));
    if (!m) break;
    if (m->as_object().if_contains("method") && m->as_object().at("method") == method.c_str()) return m->as_object();
    p.others().push_back(*m);
  }
  throw std::runtime_error("no " + method + " notification arrived; stderr: " + p.stderr_text());
}

std::vector<json::object> list_changed_in_others(McpProcess& p) {
  std::vector<json::object> out;
  for (const auto& m : p.others())
    if (m.as_object().if_contains("method") && m.as_object().at("method") == "notifications/tools/list_changed")
      out.push_back(m.as_object());
  return out;
}

const json::value& subscription_id(const json::object& n) {
  return n.at("params").as_object().at("_meta").as_object().at("io.modelcontextprotocol/subscriptionId");
}

}  // namespace

TEST(Subscriptions, AcknowledgesOnlyWhatToolgateHonours) {
  RunningToolgate tg;
  listen(*tg, "s1", {{"toolsListChanged", true}, {"promptsListChanged", true}, {"resourceSubscriptions", json::array{"file:///x"}}});
  json::object ack = await_notification(*tg, "notifications/subscriptions/acknowledged");
  EXPECT_EQ(ack.at("params").as_object().at("notifications"), (json::object{{"toolsListChanged", true}}));
  EXPECT_EQ(subscription_id(ack), "s1");
}

TEST(Subscriptions, ListChangedGoesOnlyToStreamsThatAskedForIt) {
  RunningToolgate tg;
  // A stateless request first: in the initialize era this client would now get unsolicited
  // notifications; in the 2026 era it must not.
  tg->request("tools/list", {{"_meta", modern_meta()}});
  listen(*tg, 700, {{"toolsListChanged", true}});
  listen(*tg, "prompts-only", {{"promptsListChanged", true}});
  EXPECT_EQ(subscription_id(await_notification(*tg, "notifications/subscriptions/acknowledged")), 700);
  EXPECT_EQ(subscription_id(await_notification(*tg, "notifications/subscriptions/acknowledged")), "prompts-only");

  tg->signal(SIGHUP);
  json::object changed = await_notification(*tg, "notifications/tools/list_changed");
  EXPECT_EQ(subscription_id(changed), 700);
  // Everything the reload wrote is out before 700's notification; a ping flushes the rest.
  tg->request("ping", {{"_meta", modern_meta()}});
  EXPECT_TRUE(list_changed_in_others(*tg).empty()) << "an extra list_changed was sent";
}

TEST(Subscriptions, CancelledStreamHearsNothingMoreAndShutdownClosesTheRest) {
  RunningToolgate tg;
  listen(*tg, "old", {{"toolsListChanged", true}});
  await_notification(*tg, "notifications/subscriptions/acknowledged");
  tg->notify("notifications/cancelled", {{"requestId", "old"}, {"_meta", modern_meta()}});
  listen(*tg, "new", {{"toolsListChanged", true}});
  EXPECT_EQ(subscription_id(await_notification(*tg, "notifications/subscriptions/acknowledged")), "new");
  tg->signal(SIGHUP);
  EXPECT_EQ(subscription_id(await_notification(*tg, "notifications/tools/list_changed")), "new");
  tg->request("ping", {{"_meta", modern_meta()}});
  EXPECT_TRUE(list_changed_in_others(*tg).empty());

  tg->close_stdin();
  json::value closed = tg->await_response("new");
  const json::object& r = closed.as_object().at("result").as_object();
  EXPECT_EQ(r.at("resultType"), "complete");
  EXPECT_EQ(r.at("_meta").as_object().at("io.modelcontextprotocol/subscriptionId"), "new");
  EXPECT_EQ(tg->wait_exit(std::chrono::seconds(5)), 0);
}

TEST(Subscriptions, BadListenRequestsAreRefused) {
  RunningToolgate tg;
  json::value r = tg->request("subscriptions/listen", {{"_meta", modern_meta()}});
  EXPECT_EQ(r.as_object().at("error").as_object().at("code"), -32602);
  EXPECT_NE(std::string(r.as_object().at("error").as_object().at("message").as_string()).find("params.notifications"),
            std::string::npos);
  r = tg->request("subscriptions/listen", {{"notifications", {{"toolsListChanged", "yes"}}}, {"_meta", modern_meta()}});
  EXPECT_EQ(r.as_object().at("error").as_object().at("code"), -32602);
  listen(*tg, "dup", {{"toolsListChanged", true}});
  await_notification(*tg, "notifications/subscriptions/acknowledged");
  listen(*tg, "dup", {{"toolsListChanged", true}});
  json::value again = tg->await_response("dup");
  EXPECT_EQ(again.as_object().at("error").as_object().at("code"), -32600);
  // An open stream's id is in flight: a tools/call reusing it is a duplicate too.
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", "dup"}, {"method", "tools/call"},
                             {"params", {{"name", "echo"}, {"arguments", {{"text", "x"}}}, {"_meta", modern_meta()}}}});
  json::value reused = tg->await_response("dup");
  EXPECT_EQ(reused.as_object().at("error").as_object().at("code"), -32600);
  EXPECT_NE(json::serialize(reused).find("still in flight"), std::string::npos) << json::serialize(reused);
}

TEST(Subscriptions, OpenStreamsAreCapped) {
  RunningToolgate tg;
  for (int i = 0; i < 64; ++i) listen(*tg, json::string("cap-" + std::to_string(i)), {{"toolsListChanged", true}});
  for (int i = 0; i < 64; ++i) await_notification(*tg, "notifications/subscriptions/acknowledged");
  listen(*tg, "one-too-many", {{"toolsListChanged", true}});
  json::value refused = tg->await_response("one-too-many");
  EXPECT_EQ(refused.as_object().at("error").as_object().at("code"), -32600);
  EXPECT_NE(json::serialize(refused).find("64 subscriptions are already open"), std::string::npos);
  // Cancelling one makes room again.
  tg->notify("notifications/cancelled", {{"requestId", "cap-0"}});
  listen(*tg, "room-again", {{"toolsListChanged", true}});
  EXPECT_EQ(subscription_id(await_notification(*tg, "notifications/subscriptions/acknowledged")), "room-again");
}

TEST(Subscriptions, InitializeEraStillGetsUnsolicitedListChanged) {
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  // Answered in order: once the ping is, notifications/initialized has been handled too, and
  // only an initialized session gets list_changed.
  tg->request("ping");
  tg->signal(SIGHUP);
  json::object n = await_notification(*tg, "notifications/tools/list_changed");
  EXPECT_FALSE(n.contains("params") && n.at("params").as_object().contains("_meta"));
}
