// The 2026-07-28 stateless era beside the initialize era, in one process: server/discover,
// per-request _meta (version, capabilities, log level), resultType on every result, -32022 and
// -32602 for bad _meta, and consent for destructive tools through input_required with a sealed,
// single-use requestState. Also consent in the initialize era through elicitation/create.
#include <gtest/gtest.h>

#include <fstream>

#include "fixture.hpp"
#include "results.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

json::object modern_meta(json::object caps = {}, const char* version = "2026-07-28") {
  return json::object{{"io.modelcontextprotocol/protocolVersion", version},
                      {"io.modelcontextprotocol/clientInfo", {{"name", "v2-test"}, {"version", "2.0"}}},
                      {"io.modelcontextprotocol/clientCapabilities", std::move(caps)}};
}

json::value modern(McpProcess& p, const std::string& method, json::object params, json::object meta = modern_meta()) {
  params["_meta"] = std::move(meta);
  return p.request(method, std::move(params));
}

json::object result_of(const json::value& r) {
  if (!r.as_object().contains("result")) throw std::runtime_error("expected a result: " + json::serialize(r));
  return r.as_object().at("result").as_object();
}
json::object error_of(const json::value& r) {
  if (!r.as_object().contains("error")) throw std::runtime_error("expected an error: " + json::serialize(r));
  return r.as_object().at("error").as_object();
}
json::object elicitation_caps() { return json::object{{"elicitation", json::object()}}; }

}  // namespace

TEST(Stateless, DiscoverWithoutInitialize) {
  RunningToolgate tg;
  json::object r = result_of(modern(*tg, "server/discover", {}));
  EXPECT_EQ(r.at("supportedVersions"), (json::array{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}));
  EXPECT_EQ(r.at("capabilities").as_object().at("tools"), (json::object{{"listChanged", true}}));
  EXPECT_TRUE(r.at("capabilities").as_object().contains("logging"));  // per-request logLevel is honoured
  EXPECT_EQ(r.at("resultType"), "complete");
  EXPECT_TRUE(r.at("ttlMs").is_number());
  EXPECT_EQ(r.at("cacheScope"), "private");
  EXPECT_EQ(r.at("_meta").as_object().at("io.modelcontextprotocol/serverInfo").as_object().at("name"), "toolgate");
  // A probe without _meta is answered too, so a client can pick its era.
  json::value bare = tg->request("server/discover");
  EXPECT_EQ(result_of(bare).at("supportedVersions"), (json::array{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}));
}

TEST(Stateless, ToolsListAndCallCarryResultTypeAndCacheFields) {
  RunningToolgate tg;
  json::object list = result_of(modern(*tg, "tools/list", {}));
  EXPECT_EQ(list.at("resultType"), "complete");
  EXPECT_EQ(list.at("ttlMs"), 0);
  EXPECT_EQ(list.at("cacheScope"), "private");
  EXPECT_GT(list.at("tools").as_array().size(), 5u);
  json::object call = result_of(modern(*tg, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}));
  EXPECT_EQ(call.at("resultType"), "complete");
  EXPECT_EQ(text_of(call), "hi");
  EXPECT_TRUE(call.at("_meta").as_object().contains("io.modelcontextprotocol/serverInfo"));
  json::object ping = result_of(modern(*tg, "ping", {}));
  EXPECT_EQ(ping.at("resultType"), "complete");
}

TEST(Stateless, ToolListIsPublicWhenThePolicyShowsEveryTool) {
  RunningToolgate tg(R"("toolList":"all")");
  EXPECT_EQ(result_of(modern(*tg, "tools/list", {})).at("cacheScope"), "public");
}

TEST(Stateless, MissingRequiredMetaIsInvalidParams) {
  RunningToolgate tg;
  json::object meta{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}};
  json::object e = error_of(modern(*tg, "tools/list", {}, meta));
  EXPECT_EQ(e.at("code"), -32602);
  EXPECT_NE(std::string(e.at("message").as_string()).find("clientCapabilities"), std::string::npos);
  json::object bad_version{{"io.modelcontextprotocol/protocolVersion", 2026}};
  EXPECT_EQ(error_of(modern(*tg, "tools/list", {}, bad_version)).at("code"), -32602);
}

TEST(Stateless, EnvelopeWithoutProtocolVersionIs32602NotInitializeFirst) {
  RunningToolgate tg;
  // Capabilities and client info but no version: clearly a 2026 request, so it is told what is
  // missing rather than to initialize.
  json::object meta{{"io.modelcontextprotocol/clientCapabilities", json::object()},
                    {"io.modelcontextprotocol/clientInfo", {{"name", "v2-test"}, {"version", "2.0"}}}};
  for (const char* method : {"tools/list", "tools/call", "subscriptions/listen"}) {
    json::object e = error_of(modern(*tg, method, {{"name", "echo"}}, meta));
    EXPECT_EQ(e.at("code"), -32602) << method;
    EXPECT_NE(std::string(e.at("message").as_string()).find("protocolVersion\"] is required"), std::string::npos)
        << e.at("message");
  }
  // No envelope at all and no initialize: the message names both ways in.
  json::object plain = error_of(tg->request("tools/list"));
  EXPECT_NE(std::string(plain.at("message").as_string()).find("2026-07-28"), std::string::npos) << plain.at("message");
}

TEST(Stateless, ToolsCarryExecutionOnlyFor20251125) {
  RunningToolgate tg;
  json::object modern_list = result_of(modern(*tg, "tools/list", {}));
  for (const auto& t : modern_list.at("tools").as_array())
    EXPECT_FALSE(t.as_object().contains("execution")) << json::serialize(t);
  tg->initialize("2025-11-25");
  json::object legacy = result_of(tg->request("tools/list"));
  for (const auto& t : legacy.at("tools").as_array())
    EXPECT_TRUE(t.as_object().contains("execution")) << json::serialize(t);
}

TEST(Stateless, PluginRequestsToTheClientFailFastInsteadOfHanging) {
  RunningToolgate tg;
  auto t0 = std::chrono::steady_clock::now();
  // The client even declares elicitation: the 2026 era still has no way to deliver the request.
  json::object r = result_of(modern(*tg, "tools/call", {{"name", "elicit"}, {"arguments", json::object()}},
                                    modern_meta(elicitation_caps())));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(5)) << "the call waited for an answer that cannot come";
  EXPECT_NE(text_of(r).find("protocol 2026-07-28 has no requests from server to client"), std::string::npos)
      << text_of(r);
  for (const auto& m : tg->others())
    EXPECT_NE(m.as_object().at("method"), "elicitation/create") << "a server-to-client request was sent";
}

TEST(Stateless, UnsupportedVersionIs32022WithSupportedAndRequested) {
  RunningToolgate tg;
  json::object e = error_of(modern(*tg, "tools/list", {}, modern_meta({}, "2099-01-01")));
  EXPECT_EQ(e.at("code"), -32022);
  EXPECT_EQ(e.at("data").as_object().at("supported"), (json::array{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}));
  EXPECT_EQ(e.at("data").as_object().at("requested"), "2099-01-01");
  EXPECT_EQ(e.at("message"), "unsupported protocol version 2099-01-01");
  // A legacy version is listed, but reached through initialize: the message says so, so that a
  // client does not resend the same request.
  json::object legacy = error_of(modern(*tg, "tools/list", {}, modern_meta({}, "2025-11-25")));
  EXPECT_EQ(legacy.at("code"), -32022);
  EXPECT_NE(std::string(legacy.at("message").as_string()).find("2025-11-25 is served through initialize"), std::string::npos)
      << json::serialize(legacy);
}

TEST(Stateless, LogMessagesOnlyAtTheRequestedLevel) {
  RunningToolgate tg;
  modern(*tg, "tools/call", {{"name", "log_progress"}, {"arguments", json::object()}});
  for (const auto& m : tg->others()) EXPECT_NE(m.as_object().at("method"), "notifications/message") << json::serialize(m);
  tg->others().clear();
  json::object meta = modern_meta();
  meta["io.modelcontextprotocol/logLevel"] = "warning";
  modern(*tg, "tools/call", {{"name", "log_progress"}, {"arguments", json::object()}}, meta);
  int warnings = 0;
  for (const auto& m : tg->others())
    if (m.as_object().at("method") == "notifications/message") {
      EXPECT_EQ(m.as_object().at("params").as_object().at("level"), "warning");
      ++warnings;
    }
  EXPECT_EQ(warnings, 1);
}

TEST(Stateless, InitializeEraStillWorksInTheSameProcess) {
  RunningToolgate tg;
  result_of(modern(*tg, "tools/list", {}));
  json::object init = result_of(tg->initialize("2025-11-25"));
  EXPECT_EQ(init.at("protocolVersion"), "2025-11-25");
  json::object r = tg->call_tool("echo", {{"text", "legacy"}});
  EXPECT_FALSE(r.contains("resultType"));
}

class StatelessConsent : public ::testing::Test {
 protected:
  json::object ask(const json::object& args = {{"id", "t1"}}) {
    return result_of(modern(*tg, "tools/call", {{"name", "delete_thing"}, {"arguments", args}}, modern_meta(elicitation_caps())));
  }
  json::value retry(const std::string& state, json::object answer, const json::object& args = {{"id", "t1"}}) {
    return modern(*tg, "tools/call",
                  {{"name", "delete_thing"}, {"arguments", args}, {"requestState", state},
                   {"inputResponses", {{"confirm", std::move(answer)}}}},
                  modern_meta(elicitation_caps()));
  }
  static json::object accept() { return {{"action", "accept"}, {"content", {{"confirm", true}}}}; }
  RunningToolgate tg;
};

TEST_F(StatelessConsent, AcceptRunsTheToolWithAConsentId) {
  json::object first = ask();
  EXPECT_EQ(first.at("resultType"), "input_required");
  const json::object& req = first.at("inputRequests").as_object().at("confirm").as_object();
  EXPECT_EQ(req.at("method"), "elicitation/create");
  // ElicitRequestFormParams (schema 2026-07-28): mode "form", a message, and a flat object
  // schema of primitive properties whose required names exist.
  const json::object& params = req.at("params").as_object();
  EXPECT_EQ(params.at("mode"), "form");
  const json::object& schema = params.at("requestedSchema").as_object();
  EXPECT_EQ(schema.at("type"), "object");
  const json::object& props = schema.at("properties").as_object();
  EXPECT_EQ(props.at("confirm").as_object().at("type"), "boolean");
  for (const auto& name : schema.at("required").as_array()) EXPECT_TRUE(props.contains(name.as_string())) << name;
  for (const auto& kv : props) EXPECT_NE(kv.value().as_object().at("type"), "object") << kv.key();
  std::string message(req.at("params").as_object().at("message").as_string());
  EXPECT_NE(message.find("delete_thing"), std::string::npos);
  EXPECT_NE(message.find("\"t1\""), std::string::npos) << message;
  json::object done = result_of(retry(std::string(first.at("requestState").as_string()), accept()));
  EXPECT_EQ(done.at("resultType"), "complete");
  EXPECT_EQ(text_of(done), "deleted t1");
  EXPECT_EQ(done.at("_meta").as_object().at("dev.toolgate/consentId").as_string().size(), 36u);
}

TEST_F(StatelessConsent, DeclineDoesNotRun) {
  std::string state(ask().at("requestState").as_string());
  json::object r = result_of(retry(state, {{"action", "decline"}}));
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_EQ(r.at("_meta").as_object().at("dev.toolgate/error").as_object().at("code"), "consent_declined");
  EXPECT_NE(text_of(r).find("the user chose to decline"), std::string::npos) << text_of(r);
}

TEST_F(StatelessConsent, ReplayedForgedAndMismatchedStatesAreRefused) {
  std::string state(ask().at("requestState").as_string());
  EXPECT_EQ(text_of(result_of(retry(state, accept()))), "deleted t1");
  EXPECT_NE(text_of(result_of(retry(state, accept()))).find("requestState was already used"), std::string::npos);

  std::string fresh(ask().at("requestState").as_string());
  std::string forged = fresh;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_NE(text_of(result_of(retry(forged, accept()))).find("requestState"), std::string::npos);
  EXPECT_NE(text_of(result_of(retry(fresh, accept(), {{"id", "other"}}))).find("issued for different arguments"),
            std::string::npos);
  EXPECT_NE(text_of(result_of(retry("garbage", accept()))).find("not one this server issued"), std::string::npos);
}

TEST(StatelessConsentShared, ProcessesSharingTheStateKeyAcceptARequestStateOnce) {
  // Two toolgates with one consent.stateKeyFile and one state directory: a token issued by the
  // first opens in the second, and is then spent for both.
  TempDir shared;
  write_text(shared.file("consent.key"), std::string(40, 'k'));
  std::string extra = R"("consent":{"stateKeyFile":")" + shared.file("consent.key") + R"("},"jobs":{"stateDirectory":")" +
                      shared.file("state") + R"("})";
  RunningToolgate first(extra), second(extra);
  json::object args{{"id", "t9"}};
  json::object asked = result_of(modern(*first, "tools/call", {{"name", "delete_thing"}, {"arguments", args}},
                                        modern_meta(elicitation_caps())));
  std::string state(asked.at("requestState").as_string());
  json::object answer{{"action", "accept"}, {"content", {{"confirm", true}}}};
  auto retry_on = [&](McpProcess& p) {
    return result_of(modern(p, "tools/call",
                            {{"name", "delete_thing"}, {"arguments", args}, {"requestState", state},
                             {"inputResponses", {{"confirm", answer}}}},
                            modern_meta(elicitation_caps())));
  };
  EXPECT_EQ(text_of(retry_on(*second)), "deleted t9");
  EXPECT_NE(text_of(retry_on(*first)).find("requestState was already used"), std::string::npos);
  EXPECT_NE(text_of(retry_on(*second)).find("requestState was already used"), std::string::npos);
}

TEST_F(StatelessConsent, UnansweredRetryIsAskedAgainAndMalformedAnswersAreInvalidParams) {
  std::string state(ask().at("requestState").as_string());
  // Malformed answers are protocol errors and do not spend the state.
  json::object e = error_of(retry(state, {{"confirm", true}}));
  EXPECT_EQ(e.at("code"), -32602);
  EXPECT_NE(std::string(e.at("message").as_string()).find("accept, decline or cancel"), std::string::npos);
  json::value not_object = modern(*tg, "tools/call",
                                   {{"name", "delete_thing"}, {"arguments", {{"id", "t1"}}}, {"requestState", state},
                                    {"inputResponses", json::array{}}},
                                   modern_meta(elicitation_caps()));
  EXPECT_EQ(error_of(not_object).at("code"), -32602);
  // The state echoed without an answer: the question comes back with a fresh state.
  json::object again = result_of(modern(*tg, "tools/call",
                                        {{"name", "delete_thing"}, {"arguments", {{"id", "t1"}}}, {"requestState", state}},
                                        modern_meta(elicitation_caps())));
  EXPECT_EQ(again.at("resultType"), "input_required");
  EXPECT_TRUE(again.at("inputRequests").as_object().contains("confirm"));
  std::string fresh(again.at("requestState").as_string());
  EXPECT_NE(fresh, state);
  EXPECT_EQ(text_of(result_of(retry(fresh, accept()))), "deleted t1");
}

TEST_F(StatelessConsent, ClientWithoutElicitationGets32021) {
  json::object e = error_of(modern(*tg, "tools/call", {{"name", "delete_thing"}, {"arguments", {{"id", "t3"}}}}));
  EXPECT_EQ(e.at("code"), -32021);
  EXPECT_TRUE(e.at("data").as_object().at("requiredCapabilities").as_object().contains("elicitation"));
  // Declaring URL-mode elicitation only is not enough: consent asks with a form.
  json::object url_only{{"elicitation", json::object{{"url", json::object()}}}};
  json::object e2 = error_of(modern(*tg, "tools/call", {{"name", "delete_thing"}, {"arguments", {{"id", "t3"}}}},
                                    modern_meta(url_only)));
  EXPECT_EQ(e2.at("code"), -32021);
  EXPECT_NE(std::string(e2.at("message").as_string()).find("form elicitation"), std::string::npos);
  json::object form_only{{"elicitation", json::object{{"form", json::object()}}}};
  EXPECT_EQ(result_of(modern(*tg, "tools/call", {{"name", "delete_thing"}, {"arguments", {{"id", "t3"}}}},
                             modern_meta(form_only)))
                .at("resultType"),
            "input_required");
}

TEST(StatelessConsentAudit, EveryRefusedRequestStateIsAuditedWithItsReason) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  auto meta = modern_meta(elicitation_caps());
  auto ask = [&](const char* id) {
    return std::string(result_of(modern(*tg, "tools/call", {{"name", "delete_thing"}, {"arguments", {{"id", id}}}}, meta))
                           .at("requestState")
                           .as_string());
  };
  auto retry = [&](const std::string& state, const char* id) {
    return result_of(modern(*tg, "tools/call",
                            {{"name", "delete_thing"}, {"arguments", {{"id", id}}}, {"requestState", state},
                             {"inputResponses", {{"confirm", {{"action", "accept"}, {"content", {{"confirm", true}}}}}}}},
                            meta));
  };
  std::string used = ask("a1");
  EXPECT_EQ(text_of(retry(used, "a1")), "deleted a1");
  retry(used, "a1");                        // replayed
  std::string forged = ask("a2");
  forged[forged.size() - 3] = forged[forged.size() - 3] == 'A' ? 'B' : 'A';
  retry(forged, "a2");                      // forged
  retry(ask("a3"), "a3-other");             // mismatched arguments

  std::vector<json::object> refused;
  std::ifstream in(tg.dir().file("audit") + "/audit.jsonl");
  for (std::string line; std::getline(in, line);) {
    json::object e = json::parse(line).as_object();
    if (e.at("errorCode") == "invalid_request_state") refused.push_back(e);
  }
  ASSERT_EQ(refused.size(), 3u);
  const char* reasons[] = {"already used", "failed authentication", "different arguments"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(refused[i].at("outcome"), "consent_declined");
    EXPECT_EQ(refused[i].at("tool"), "delete_thing");
    EXPECT_NE(std::string(refused[i].at("errorMessage").as_string()).find(reasons[i]), std::string::npos)
        << refused[i].at("errorMessage");
  }
}

TEST(Consent, InitializeEraAsksThroughElicitation) {
  for (const char* action : {"accept", "decline"}) {
    RunningToolgate tg;
    tg->initialize("2025-06-18", {{"elicitation", json::object()}});
    tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", "d1"}, {"method", "tools/call"},
                               {"params", {{"name", "delete_thing"}, {"arguments", {{"id", "x9"}}}}}});
    std::optional<json::value> question;
    while (!question) {
      auto m = tg->read();
      ASSERT_TRUE(m) << tg->stderr_text();
      if (m->as_object().contains("method") && m->as_object().at("method") == "elicitation/create") question = m;
    }
    const json::object& params = question->as_object().at("params").as_object();
    EXPECT_NE(std::string(params.at("message").as_string()).find("delete_thing"), std::string::npos);
    EXPECT_EQ(params.at("requestedSchema").as_object().at("properties").as_object().at("confirm").as_object().at("type"),
              "boolean");
    json::object answer{{"action", action}};
    if (std::string(action) == "accept") answer["content"] = json::object{{"confirm", true}};
    tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", question->as_object().at("id")}, {"result", answer}});
    json::object r = tg->await_response("d1").as_object().at("result").as_object();
    if (std::string(action) == "accept") {
      EXPECT_EQ(text_of(r), "deleted x9");
      EXPECT_TRUE(r.at("_meta").as_object().contains("dev.toolgate/consentId"));
    } else {
      EXPECT_EQ(r.at("_meta").as_object().at("dev.toolgate/error").as_object().at("code"), "consent_declined");
    }
  }
}

TEST(Consent, ClientWithoutElicitationIsToldHowAnOperatorCanAllowIt) {
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  json::object r = tg->call_tool("delete_thing", {{"id", "x"}});
  EXPECT_EQ(r.at("_meta").as_object().at("dev.toolgate/error").as_object().at("code"), "consent_declined");
  EXPECT_NE(text_of(r).find("consent.exempt"), std::string::npos) << text_of(r);
}

TEST(Consent, ExemptTenantRunsWithoutBeingAsked) {
  RunningToolgate tg(R"("consent":{"exempt":[{"tenant":"test"}]})");
  tg->initialize("2025-06-18");
  EXPECT_EQ(text_of(tg->call_tool("delete_thing", {{"id", "y"}})), "deleted y");
}

TEST(Consent, PolicyErrorsNameThePath) {
  TempDir t;
  write_text(t.file("policy.json"), anonymous_policy(t.path(), R"("consent":{"exempt":[{"tenant":"a","who":"b"}],"timeoutMs":5})"));
  McpProcess p({{"serve", "--config", t.file("policy.json")}});
  auto status = p.wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.stderr_text().find("$.consent.exempt[0].who: unknown field"), std::string::npos) << p.stderr_text();
  EXPECT_NE(p.stderr_text().find("$.consent.timeoutMs: expected an integer from 1000 to 3600000, got 5"), std::string::npos);
}
