// Consent for destructive tools in the initialize era, through the real binary: the client is
// asked with elicitation/create and each answer (accept, decline, cancel, no answer within the
// configured timeout) gives the right result and audit entry; the consentId in the result's
// _meta is the one in the audit entry; a client that cannot be asked is told exactly which
// policy entries would allow it.
#include <gtest/gtest.h>

#include <fstream>

#include "fixture.hpp"
#include "results.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

// Sends a call to the destructive fixture tool and returns the elicitation/create it causes.
json::object ask(McpProcess& p, const std::string& id) {
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                           {"params", {{"name", "delete_thing"}, {"arguments", {{"id", "row-7"}}}}}});
  for (;;) {
    auto m = p.read();
    if (!m) throw std::runtime_error("no elicitation/create arrived; stderr:\n" + p.stderr_text());
    if (m->as_object().contains("method") && m->as_object().at("method") == "elicitation/create") return m->as_object();
    p.others().push_back(*m);
  }
}

void answer(McpProcess& p, const json::object& question, json::object result) {
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", question.at("id")}, {"result", std::move(result)}});
}

const char* kPolicy = R"("audit":{"directory":"audit"})";

}  // namespace

TEST(ConsentRoundTrip, AcceptRunsTheToolAndTheConsentIdIsInMetaAndAudit) {
  RunningToolgate tg(kPolicy);
  tg->initialize("2025-06-18", {{"elicitation", json::object()}});
  json::object q = ask(*tg, "a1");
  std::string message(q.at("params").as_object().at("message").as_string());
  EXPECT_NE(message.find("delete_thing"), std::string::npos) << message;
  EXPECT_NE(message.find("row-7"), std::string::npos) << message;  // the arguments are shown
  answer(*tg, q, {{"action", "accept"}, {"content", {{"confirm", true}}}});
  json::object r = tg->await_response("a1").as_object().at("result").as_object();
  EXPECT_EQ(text_of(r), "deleted row-7");
  std::string consent_id(r.at("_meta").as_object().at("dev.toolgate/consentId").as_string());
  EXPECT_EQ(consent_id.size(), 36u);

  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("outcome"), "success");
  EXPECT_EQ(all[0].at("consentId"), consent_id.c_str());
}

TEST(ConsentRoundTrip, AcceptWithoutTickingConfirmDeclineAndCancelAreConsentDeclined) {
  RunningToolgate tg(kPolicy);
  tg->initialize("2025-06-18", {{"elicitation", json::object()}});
  struct Case {
    json::object reply;
    const char* reason;
  };
  std::vector<Case> cases{{{{"action", "decline"}}, "the user chose to decline"},
                          {{{"action", "cancel"}}, "the user chose to cancel"},
                          {{{"action", "accept"}, {"content", {{"confirm", false}}}}, "the user did not confirm"}};
  int n = 0;
  for (auto& c : cases) {
    std::string id = "d" + std::to_string(n++);
    json::object q = ask(*tg, id);
    answer(*tg, q, c.reply);
    json::object r = tg->await_response(json::value(id)).as_object().at("result").as_object();
    EXPECT_EQ(error_code_of(r), "consent_declined") << json::serialize(r);
    EXPECT_EQ(text_of(r), std::string("tool delete_thing did not run: consent was not given (") + c.reason + ")");
    EXPECT_FALSE(r.at("_meta").as_object().contains("dev.toolgate/consentId"));
  }
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 3u);
  for (const auto& e : all) {
    EXPECT_EQ(e.at("outcome"), "consent_declined");
    EXPECT_FALSE(e.contains("consentId"));
  }
}

TEST(ConsentRoundTrip, NoAnswerWithinTheConfiguredTimeoutIsDeclined) {
  RunningToolgate tg(R"("consent":{"timeoutMs":1000})");
  tg->initialize("2025-06-18", {{"elicitation", json::object()}});
  auto start = std::chrono::steady_clock::now();
  ask(*tg, "t1");  // and never answer
  json::object r = tg->await_response("t1", std::chrono::seconds(10)).as_object().at("result").as_object();
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(error_code_of(r), "consent_declined");
  EXPECT_EQ(text_of(r), "tool delete_thing did not run: consent was not given (no answer within 1 s)");
  EXPECT_GE(waited, std::chrono::milliseconds(900));
  // The default is two minutes: an answer after 1 s proves the setting, not the default, ruled.
  EXPECT_LT(waited, std::chrono::seconds(10));
}

TEST(ConsentRoundTrip, AClientThatCannotBeAskedIsToldTheExactPolicyEntries) {
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  json::object r = tg->call_tool("delete_thing", {{"id", "x"}});
  EXPECT_EQ(error_code_of(r), "consent_declined");
  std::string text = text_of(r);
  EXPECT_NE(text.find(R"(for this principal add {"tenant":"test","subject":")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(to consent.exempt, for the whole tenant add {"tenant":"test"})"), std::string::npos) << text;
  EXPECT_NE(text.find("consent.tools.delete_thing to false"), std::string::npos) << text;
}

TEST(ConsentRoundTrip, TheSuggestedPrincipalExemptionWorks) {
  RunningToolgate probe;
  probe->initialize("2025-06-18");
  std::string text = text_of(probe->call_tool("delete_thing", {{"id", "x"}}));
  auto from = text.find("for this principal add ") + std::string("for this principal add ").size();
  std::string entry = text.substr(from, text.find(" to consent.exempt") - from);
  RunningToolgate tg(R"("consent":{"exempt":[)" + entry + "]}");
  tg->initialize("2025-06-18");
  EXPECT_EQ(text_of(tg->call_tool("delete_thing", {{"id", "z"}})), "deleted z");
}
