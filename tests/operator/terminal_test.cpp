// `toolgate tools`, `toolgate call` and `toolgate connect` through the real binary: readable
// output, exit statuses, and proof that a terminal call goes through the policy pipeline
// (identity, scopes, schema validation, consent, audit) like a client's call.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "fixture.hpp"
#include "operator_support.hpp"

namespace toolgate::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class Terminal : public ::testing::Test {
 protected:
  Terminal() {
    plugins_ = dir_.file("plugins");
    fs::create_directory(plugins_);
    copy_plugin(staged_plugin_dir(), plugins_, "echo");
    copy_plugin(fixture_plugin_dir(), plugins_, "fx_behaviours");
  }
  // A policy granting the anonymous caller `scopes`, plus `extra` top-level fields.
  std::string policy(const std::string& scopes, const std::string& extra = "") {
    std::string text = "{\"plugins\":{\"directory\":\"" + plugins_ + "\"},\"identity\":{\"anonymous\":{\"tenant\":\"t\"," +
                       "\"scopes\":" + scopes + "}}" + (extra.empty() ? "" : "," + extra) + "}";
    write_text(dir_.file("policy.json"), text);
    return dir_.file("policy.json");
  }
  CommandResult tg(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
                   const std::string& input = "") {
    args.insert(args.begin(), toolgate_binary());
    return run_command(args, env, input);
  }
  TempDir dir_;
  std::string plugins_;
};

TEST_F(Terminal, ToolsListsWhatTheCallerMayCallReadably) {
  auto r = tg({"tools", "--config", policy(R"(["echo.read"])")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("echo  [read-only; scope echo.read]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arguments: text: string (required)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("whoami"), std::string::npos) << "a tool the caller may not call is listed:\n" << r.out;
  EXPECT_EQ(r.out.find("toolgate "), std::string::npos) << "start-up chatter on stdout:\n" << r.out;
}

TEST_F(Terminal, ToolsJsonIsTheListAClientGets) {
  auto r = tg({"tools", "--json", "--config", policy(R"(["*"])")});
  ASSERT_EQ(r.status, 0) << r.err;
  json::value v = json::parse(r.out);
  bool destructive_marked = false;
  for (const auto& t : v.at("tools").as_array())
    if (t.at("name") == "delete_thing") destructive_marked = t.at("annotations").at("destructiveHint").as_bool();
  EXPECT_TRUE(destructive_marked) << r.out;
}

TEST_F(Terminal, CallPrintsTheTextResultAndExitsZero) {
  auto r = tg({"call", "echo", "--args", R"({"text":"hello from a terminal"})", "--config", policy(R"(["*"])")});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from a terminal\n");
}

TEST_F(Terminal, CallIndentsStructuredContentAndCarriesThePrincipal) {
  auto r = tg({"call", "whoami", "--config", policy(R"(["fx.read"])")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\n  \"tenant\": \"t\""), std::string::npos) << r.out;
  EXPECT_EQ(json::parse(r.out).at("tenant"), "t");
}

TEST_F(Terminal, CallWithoutTheScopeIsRefusedWithExitOne) {
  auto r = tg({"call", "whoami", "--config", policy(R"(["echo.read"])")});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("toolgate call: whoami failed:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fx.read"), std::string::npos) << r.err;
}

TEST_F(Terminal, InvalidArgumentsNameTheField) {
  auto r = tg({"call", "echo", "--args", R"({"text":42})", "--config", policy(R"(["*"])")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("text"), std::string::npos) << r.err;
}

TEST_F(Terminal, BadArgsJsonIsAUsageError) {
  auto r = tg({"call", "echo", "--args", "{text:", "--config", policy(R"(["*"])")});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--args is not valid JSON"), std::string::npos) << r.err;
  auto r2 = tg({"call", "echo", "--args", "[1]", "--config", policy(R"(["*"])")});
  EXPECT_EQ(r2.status, 2);
  EXPECT_NE(r2.err.find("--args must be a JSON object"), std::string::npos) << r2.err;
  auto r3 = tg({"call", "--config", policy(R"(["*"])")});
  EXPECT_EQ(r3.status, 2);
  EXPECT_NE(r3.err.find("name the tool"), std::string::npos) << r3.err;
}

TEST_F(Terminal, UnknownToolAndFailingToolExitOne) {
  auto r = tg({"call", "no_such_tool", "--config", policy(R"(["*"])")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no_such_tool"), std::string::npos) << r.err;
  auto t = tg({"call", "throws", "--config", policy(R"(["*"])")});
  EXPECT_EQ(t.status, 1);
  EXPECT_NE(t.err.find("disk quota exceeded in fixture"), std::string::npos) << t.err;
}

TEST_F(Terminal, DestructiveToolNeedsConsent) {
  std::string p = policy(R"(["*"])");
  auto refused = tg({"call", "delete_thing", "--args", R"({"id":"x1"})", "--config", p});
  EXPECT_EQ(refused.status, 1);
  EXPECT_EQ(refused.out.find("deleted"), std::string::npos) << refused.out;
  EXPECT_NE(refused.err.find("delete_thing"), std::string::npos) << refused.err;

  auto allowed = tg({"call", "delete_thing", "--args", R"({"id":"x1"})", "--yes", "--config", p});
  EXPECT_EQ(allowed.status, 0) << allowed.err;
  EXPECT_EQ(allowed.out, "deleted x1\n");
  EXPECT_NE(allowed.err.find("consent: Allow the destructive tool"), std::string::npos) << allowed.err;
}

TEST_F(Terminal, CallsNeedACredentialWhenThePolicySaysSo) {
  write_text(dir_.file("policy.json"), "{\"plugins\":{\"directory\":\"" + plugins_ +
                                           "\"},\"identity\":{\"keysFile\":\"keys.json\"},\"audit\":{\"directory\":\"audit\"}}");
  std::string p = dir_.file("policy.json");
  auto created = tg({"keys", "create", "--config", p, "--subject", "alice", "--tenant", "acme", "--scopes", "*"});
  ASSERT_EQ(created.status, 0) << created.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created.out, m, std::regex("tgk_[A-Za-z0-9_-]+"))) << created.out;
  std::string key = m.str();

  auto anonymous = tg({"call", "echo", "--args", R"({"text":"hi"})", "--config", p});
  EXPECT_EQ(anonymous.status, 1);
  EXPECT_EQ(anonymous.out, "");

  auto keyed = tg({"call", "echo", "--args", R"({"text":"hi"})", "--config", p}, {{"TOOLGATE_TOKEN", key}});
  EXPECT_EQ(keyed.status, 0) << keyed.err;
  EXPECT_EQ(keyed.out, "hi\n");
  EXPECT_EQ(keyed.err.find(key), std::string::npos) << "the key leaked to stderr";

  // Both calls are in the audit trail, with the terminal as the client and alice as the actor.
  std::string trail;
  for (const auto& f : fs::directory_iterator(dir_.file("audit"))) trail += read_text(f.path().string());
  EXPECT_NE(trail.find("\"toolgate-terminal\""), std::string::npos) << trail;
  EXPECT_NE(trail.find("\"alice\""), std::string::npos) << trail;
  EXPECT_NE(trail.find("unauthenticated"), std::string::npos) << trail;
  EXPECT_EQ(trail.find(key), std::string::npos) << "the key leaked into the audit trail";
}

TEST_F(Terminal, ConnectPrintsEveryClientWithTheKey) {
  std::string p = policy(R"(["*"])");
  write_text(dir_.file("dev-key"), "tgk_example_key_for_connect\n");
  auto r = tg({"connect", "--config", p, "--key-file", dir_.file("dev-key")});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string bin = fs::canonical(toolgate_binary()).string();
  EXPECT_NE(r.out.find("claude mcp add toolgate --env TOOLGATE_TOKEN=tgk_example_key_for_connect -- " + bin +
                       " serve --config " + p),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"mcpServers\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(".vscode/mcp.json"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"type\": \"stdio\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace toolgate::testing
