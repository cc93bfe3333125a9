// Identity through the real binary: every denial reaches the model as an isError result with a
// machine-readable code, revocation bites on the next call, tools/list shows only what the
// caller may call, and the credential never leaves the host (not to stderr, not to plugins).
#include <gtest/gtest.h>

#include <filesystem>

#include "fixture.hpp"
#include "results.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

json::object error_meta(const json::object& r) { return r.at("_meta").as_object().at("dev.toolgate/error").as_object(); }

// A plugin directory, a keys file and a policy using it.
class Identity : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins = dir.file("plugins");
    std::filesystem::create_directory(plugins);
    copy_plugin(staged_plugin_dir(), plugins, "echo");
    copy_plugin(fixture_plugin_dir(), plugins, "fx_behaviours");
    write_policy("");
  }
  void write_policy(const std::string& extra) {
    write_text(dir.file("policy.json"), "{\"plugins\":{\"directory\":\"" + plugins +
                                             "\"},\"identity\":{\"keysFile\":\"keys.json\"}" +
                                             (extra.empty() ? "" : "," + extra) + "}");
  }
  // Runs `toolgate keys ...` and returns stdout.
  std::string keys(const std::string& args) {
    std::string cmd = toolgate_binary() + " keys " + args + " --config " + dir.file("policy.json") + " > " +
                      dir.file("keys.out") + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << read_text(dir.file("keys.out"));
    return read_text(dir.file("keys.out"));
  }
  // Creates a key and returns the secret printed once.
  std::string create_key(const std::string& subject, const std::string& tenant, const std::string& scopes) {
    std::string out = keys("create --subject " + subject + " --tenant " + tenant + " --scopes " + scopes);
    auto at = out.find("tgk_");
    EXPECT_NE(at, std::string::npos) << out;
    return out.substr(at, out.find_first_of(" \n", at) - at);
  }
  std::unique_ptr<McpProcess> start(const std::string& token, std::vector<std::string> extra = {}) {
    McpProcess::Options o;
    o.args = {"serve", "--config", dir.file("policy.json")};
    for (auto& a : extra) o.args.push_back(a);
    if (!token.empty()) o.env["TOOLGATE_TOKEN"] = token;
    auto p = std::make_unique<McpProcess>(o);
    p->initialize();
    return p;
  }
  std::set<std::string> listed(McpProcess& p) {
    std::set<std::string> names;
    json::value response = p.request("tools/list");
    for (const auto& t : response.as_object().at("result").as_object().at("tools").as_array())
      names.insert(std::string(t.as_object().at("name").as_string()));
    return names;
  }
  TempDir dir;
  std::string plugins;
};

}  // namespace

TEST_F(Identity, NoCredentialIsUnauthenticatedAndSaysHowToSupplyOne) {
  keys("create --subject nobody --tenant t --scopes x.read");  // the keys file must exist
  auto p = start("");
  json::object r = p->call_tool("echo", {{"text", "hi"}});
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_EQ(error_meta(r).at("code"), "unauthenticated");
  EXPECT_NE(text_of(r).find("set TOOLGATE_TOKEN"), std::string::npos) << text_of(r);
  EXPECT_TRUE(listed(*p).empty());
}

TEST_F(Identity, ValidKeyRunsAsItsPrincipal) {
  std::string key = create_key("alice@example.com", "acme", "fx.read,echo.read");
  auto p = start(key);
  json::object who = p->call_tool("whoami");
  EXPECT_EQ(who.at("structuredContent").as_object().at("subject"), "alice@example.com");
  EXPECT_EQ(who.at("structuredContent").as_object().at("tenant"), "acme");
  EXPECT_EQ(who.at("structuredContent").as_object().at("scopes").as_array().size(), 2u);
}

TEST_F(Identity, InvalidKeyIsUnauthenticatedWithTheReason) {
  create_key("alice", "acme", "echo.read");
  auto p = start("tgk_000000000000_" + std::string(64, 'a'));
  json::object r = p->call_tool("echo", {{"text", "hi"}});
  EXPECT_EQ(error_meta(r).at("code"), "unauthenticated");
  EXPECT_NE(text_of(r).find("invalid API key"), std::string::npos) << text_of(r);
}

TEST_F(Identity, RevocationTakesEffectOnTheNextCallWithoutRestart) {
  std::string key = create_key("bob", "acme", "echo.read");
  auto p = start(key);
  EXPECT_EQ(text_of(p->call_tool("echo", {{"text", "before"}})), "before");
  std::string id = key.substr(4, 12);
  keys("revoke " + id);
  json::object r = p->call_tool("echo", {{"text", "after"}});
  EXPECT_EQ(error_meta(r).at("code"), "unauthenticated");
  EXPECT_NE(text_of(r).find("revoked"), std::string::npos) << text_of(r);
}

TEST_F(Identity, MissingScopeNamesTheRequiredScope) {
  std::string key = create_key("carol", "acme", "echo.read");
  auto p = start(key);
  json::object r = p->call_tool("whoami");
  EXPECT_EQ(error_meta(r).at("code"), "insufficient_scope");
  EXPECT_EQ(error_meta(r).at("requiredScope"), "fx.read");
  EXPECT_NE(text_of(r).find("requires the scope 'fx.read'"), std::string::npos);
}

TEST_F(Identity, WildcardGrants) {
  std::string key = create_key("dave", "acme", "fx.*");
  auto p = start(key);
  EXPECT_EQ(p->call_tool("whoami").count("isError"), 0u);
  EXPECT_EQ(error_meta(p->call_tool("echo", {{"text", "x"}})).at("code"), "insufficient_scope");
}

TEST_F(Identity, ToolsListShowsOnlyCallableToolsUnlessPolicySaysAll) {
  std::string key = create_key("erin", "acme", "echo.read");
  {
    auto p = start(key);
    EXPECT_EQ(listed(*p), std::set<std::string>{"echo"});
  }
  write_policy(R"("toolList":"all")");
  auto p = start(key);
  EXPECT_GT(listed(*p).size(), 10u);
}

TEST_F(Identity, PolicyOverridesAToolsScope) {
  std::string key = create_key("frank", "acme", "echo.read");
  write_policy(R"("tools":{"echo":{"scope":"echo.privileged"}})");
  auto p = start(key);
  json::object r = p->call_tool("echo", {{"text", "x"}});
  EXPECT_EQ(error_meta(r).at("requiredScope"), "echo.privileged");
}

TEST_F(Identity, AnonymousExistsOnlyWhenThePolicyGrantsScopes) {
  write_text(dir.file("policy.json"), "{\"plugins\":{\"directory\":\"" + plugins +
                                          "\"},\"identity\":{\"anonymous\":{\"tenant\":\"public\",\"scopes\":[]}}}");
  McpProcess p({{"serve", "--config", dir.file("policy.json")}});
  auto status = p.wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.stderr_text().find("$.identity.anonymous.scopes: an anonymous caller needs at least one scope"),
            std::string::npos)
      << p.stderr_text();
}

TEST_F(Identity, BrokenKeysFileStopsStartupNamingTheFile) {
  write_text(dir.file("keys.json"), R"({"version":1,"keys":[{"id":"abc"}], "bogus": 1})");
  McpProcess p({{"serve", "--config", dir.file("policy.json")}});
  auto status = p.wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.stderr_text().find(dir.file("keys.json")), std::string::npos) << p.stderr_text();
}

TEST_F(Identity, TheCredentialNeverLeavesTheHost) {
  std::string key = create_key("grace", "acme", "fx.read,echo.read");
  auto p = start(key, {"--log-level", "trace"});
  json::object env = p->call_tool("read_env");
  EXPECT_EQ(text_of(env), "(unset)") << "plugins must not see the raw credential";
  p->call_tool("echo", {{"text", key}});  // even when a caller pastes it into arguments
  p->call_tool("whoami");
  p->close_stdin();
  p->wait_exit(std::chrono::seconds(5));
  std::string err = p->stderr_text();
  std::string secret = key.substr(key.rfind('_') + 1);
  EXPECT_EQ(err.find(secret), std::string::npos) << "stderr leaked the key:\n" << err;
}
