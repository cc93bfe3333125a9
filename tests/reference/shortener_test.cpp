// The shortener plugin through the real binary: the create/resolve/list/delete round trip,
// persistence across restarts, tenant isolation (two toolgate processes with different
// anonymous tenants on one database), validation errors, its scopes, and concurrent calls.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "reference_fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

class Shortener : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_.file("plugins"));
    stage_reference_plugin(dir_.file("plugins"), "shortener",
                           {{"database", dir_.file("state/shortener.db")}, {"baseUrl", "https://go.example.com"}});
  }
  std::unique_ptr<McpProcess> start(const std::string& tenant = "acme", std::vector<std::string> scopes = {"*"},
                                    bool consent_exempt = true) {
    return start_toolgate(dir_.file("plugins"), dir_.path(), Caller{tenant, std::move(scopes), consent_exempt});
  }

  TempDir dir_;
};

json::object create(McpProcess& tg, const std::string& url, const std::string& code = "") {
  json::object args{{"url", url}};
  if (!code.empty()) args["code"] = code;
  return tg.call_tool("create_short_url", args);
}
json::object resolve(McpProcess& tg, const std::string& code) { return tg.call_tool("resolve_short_url", {{"code", code}}); }
json::object remove(McpProcess& tg, const std::string& code) { return tg.call_tool("delete_short_url", {{"code", code}}); }
json::object list(McpProcess& tg) { return tg.call_tool("list_short_urls", {}); }

TEST_F(Shortener, CreateResolveListDelete) {
  auto tg = start();
  json::object c = create(*tg, "https://example.com/docs?page=2#top", "docs");
  ASSERT_FALSE(is_error(c)) << text_of(c);
  EXPECT_EQ(structured(c).at("code"), "docs");
  EXPECT_EQ(structured(c).at("shortUrl"), "https://go.example.com/docs");
  EXPECT_EQ(structured(c).at("hits"), 0);
  EXPECT_EQ(structured(c).at("createdBy"), "anonymous");

  json::object g = create(*tg, "http://example.org/");
  ASSERT_FALSE(is_error(g)) << text_of(g);
  std::string generated(structured(g).at("code").as_string());
  EXPECT_EQ(generated.size(), 7u);

  json::object r = resolve(*tg, "docs");
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(structured(r).at("url"), "https://example.com/docs?page=2#top");
  EXPECT_EQ(structured(r).at("hits"), 1);
  EXPECT_EQ(structured(resolve(*tg, "docs")).at("hits"), 2);
  EXPECT_TRUE(structured(resolve(*tg, "docs")).contains("lastHitAt"));

  json::object l = list(*tg);
  ASSERT_FALSE(is_error(l)) << text_of(l);
  EXPECT_EQ(structured(l).at("total"), 2);
  std::set<std::string> codes;
  for (const auto& u : structured(l).at("urls").as_array()) codes.insert(std::string(u.as_object().at("code").as_string()));
  EXPECT_EQ(codes, (std::set<std::string>{"docs", generated}));

  json::object d = remove(*tg, "docs");
  ASSERT_FALSE(is_error(d)) << text_of(d);
  EXPECT_EQ(structured(d).at("deleted"), true);
  EXPECT_EQ(text_of(resolve(*tg, "docs")), "no short URL with code 'docs'");
  EXPECT_EQ(text_of(remove(*tg, "docs")), "no short URL with code 'docs'");
  EXPECT_EQ(structured(list(*tg)).at("total"), 1);
}

TEST_F(Shortener, ListPages) {
  auto tg = start();
  for (const char* code : {"aaa", "bbb", "ccc"}) ASSERT_FALSE(is_error(create(*tg, "https://example.com/", code)));
  json::object l = tg->call_tool("list_short_urls", {{"limit", 2}, {"offset", 1}});
  ASSERT_FALSE(is_error(l)) << text_of(l);
  EXPECT_EQ(structured(l).at("total"), 3);
  EXPECT_EQ(structured(l).at("urls").as_array().size(), 2u);
  EXPECT_NE(text_of(l).find("showing 2-3"), std::string::npos) << text_of(l);
}

TEST_F(Shortener, DataSurvivesARestart) {
  {
    auto tg = start();
    ASSERT_FALSE(is_error(create(*tg, "https://example.com/kept", "kept")));
    ASSERT_FALSE(is_error(resolve(*tg, "kept")));
    tg->close_stdin();
    ASSERT_TRUE(tg->wait_exit(std::chrono::seconds(10)).has_value());
  }
  EXPECT_TRUE(std::filesystem::exists(dir_.file("state/shortener.db")));
  auto tg = start();
  json::object r = resolve(*tg, "kept");
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(structured(r).at("url"), "https://example.com/kept");
  EXPECT_EQ(structured(r).at("hits"), 2);
}

TEST_F(Shortener, TenantsNeverSeeEachOthersCodes) {
  auto acme = start("acme");
  auto globex = start("globex");
  ASSERT_FALSE(is_error(create(*acme, "https://acme.example/secret", "promo")));

  // Exactly what a code that never existed gets, so nothing reveals that "promo" is taken.
  json::object r = resolve(*globex, "promo");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "no short URL with code 'promo'");
  EXPECT_EQ(text_of(resolve(*globex, "nosuch")), "no short URL with code 'nosuch'");
  EXPECT_EQ(error_code(r), error_code(resolve(*globex, "nosuch")));
  EXPECT_EQ(text_of(remove(*globex, "promo")), "no short URL with code 'promo'");
  json::object l = list(*globex);
  EXPECT_EQ(structured(l).at("total"), 0);
  EXPECT_TRUE(structured(l).at("urls").as_array().empty());

  // The same code in another tenant is a different link, and neither disturbs the other.
  ASSERT_FALSE(is_error(create(*globex, "https://globex.example/", "promo")));
  EXPECT_EQ(structured(resolve(*acme, "promo")).at("url"), "https://acme.example/secret");
  EXPECT_EQ(structured(resolve(*globex, "promo")).at("url"), "https://globex.example/");
  ASSERT_FALSE(is_error(remove(*globex, "promo")));
  EXPECT_EQ(structured(resolve(*acme, "promo")).at("hits"), 2);
  EXPECT_EQ(structured(list(*acme)).at("total"), 1);
}

TEST_F(Shortener, DuplicateCustomCodeIsAnError) {
  auto tg = start();
  ASSERT_FALSE(is_error(create(*tg, "https://example.com/one", "same")));
  json::object r = create(*tg, "https://example.com/two", "same");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "the code 'same' is already in use; choose another, or omit code to get a generated one");
  EXPECT_EQ(structured(resolve(*tg, "same")).at("url"), "https://example.com/one");
}

TEST_F(Shortener, InvalidUrlsAreClearErrors) {
  auto tg = start();
  const std::pair<const char*, const char*> cases[] = {
      {"ftp://example.com/file", "invalid URL: only http:// and https:// URLs can be shortened"},
      {"javascript:alert(1)", "invalid URL: only http:// and https:// URLs can be shortened"},
      {"https://", "invalid URL: the URL has no host"},
      {"https://exa mple.com/", "invalid URL: the URL contains spaces, control or non-ASCII characters; percent-encode them"},
      {"https://user:pw@example.com/", "invalid URL: URLs with credentials (user@host) are not accepted"},
      {"http://example.com:99999/", "invalid URL: the URL has an invalid port"},
      {"http://exa..mple.com/", "invalid URL: the URL's host 'exa..mple.com' has an empty label"},
  };
  for (const auto& [url, message] : cases) {
    json::object r = create(*tg, url);
    EXPECT_TRUE(is_error(r)) << url;
    EXPECT_EQ(text_of(r), message) << url;
  }
  EXPECT_FALSE(is_error(create(*tg, "HTTPS://[2001:db8::1]:8443/x")));
  EXPECT_EQ(structured(list(*tg)).at("total"), 1);
}

TEST_F(Shortener, MalformedCodeIsRefusedByTheManifestSchema) {
  auto tg = start();
  json::object r = create(*tg, "https://example.com/", "no spaces");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(error_code(r), "invalid_input");
}

TEST_F(Shortener, DeleteNeedsItsOwnScope) {
  auto tg = start("acme", {"shortener.read", "shortener.write"});
  ASSERT_FALSE(is_error(create(*tg, "https://example.com/", "keep")));
  json::object r = remove(*tg, "keep");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(error_code(r), "insufficient_scope");
  EXPECT_EQ(r.at("_meta").as_object().at("dev.toolgate/error").as_object().at("requiredScope"), "shortener.delete");
  EXPECT_FALSE(is_error(resolve(*tg, "keep")));
}

TEST_F(Shortener, DeleteIsDestructiveSoTheHostAsksForConsentFirst) {
  auto tg = start("acme", {"*"}, /*consent_exempt=*/false);
  ASSERT_FALSE(is_error(create(*tg, "https://example.com/", "keep")));
  json::object r = remove(*tg, "keep");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(error_code(r), "consent_declined");
  EXPECT_FALSE(is_error(resolve(*tg, "keep")));
}

TEST_F(Shortener, ToolsCarryHonestAnnotations) {
  auto tg = start();
  json::value tools = tg->request("tools/list").as_object().at("result").as_object().at("tools");
  std::map<std::string, json::object> by_name;
  for (const auto& t : tools.as_array()) {
    std::string name(t.as_object().at("name").as_string());
    if (name.find("short_url") != std::string::npos) by_name[name] = t.as_object();  // not host built-ins
  }
  ASSERT_EQ(by_name.size(), 4u);
  auto hint = [&](const char* tool, const char* key) { return by_name.at(tool).at("annotations").as_object().at(key); };
  EXPECT_EQ(hint("delete_short_url", "destructiveHint"), true);
  EXPECT_EQ(hint("create_short_url", "destructiveHint"), false);
  EXPECT_EQ(hint("list_short_urls", "readOnlyHint"), true);
  EXPECT_EQ(hint("resolve_short_url", "readOnlyHint"), false);  // it counts hits
}

TEST_F(Shortener, ConcurrentCreatesAllLand) {
  auto tg = start();
  constexpr int kCalls = 16;
  for (int i = 0; i < kCalls; ++i)
    tg->send_json(json::object{{"jsonrpc", "2.0"},
                               {"id", i},
                               {"method", "tools/call"},
                               {"params", {{"name", "create_short_url"}, {"arguments", {{"url", "https://example.com/" + std::to_string(i)}}}}}});
  std::set<std::string> codes;
  for (int i = 0; i < kCalls; ++i) {
    json::object r = tg->await_response(i).as_object().at("result").as_object();
    ASSERT_FALSE(is_error(r)) << text_of(r);
    codes.insert(std::string(structured(r).at("code").as_string()));
  }
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(kCalls));
  EXPECT_EQ(structured(list(*tg)).at("total"), kCalls);
}

TEST(ShortenerConfig, RelativeDatabasePathRefusesToLoadWithTheReason) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("plugins"));
  stage_reference_plugin(dir.file("plugins"), "shortener", {{"database", "relative.db"}});
  auto tg = start_toolgate(dir.file("plugins"), dir.path());
  json::value list = tg->request("tools/list");  // kept alive: the loop below refers into it
  for (const auto& t : list.as_object().at("result").as_object().at("tools").as_array())
    EXPECT_EQ(std::string(t.as_object().at("name").as_string()).find("short_url"), std::string::npos);
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  EXPECT_NE(tg->stderr_text().find("\"database\" must be an absolute file path"), std::string::npos) << tg->stderr_text();
}

TEST(ShortenerConfig, WithoutAnyDatabasePathCallsSayWhatToConfigure) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("plugins"));
  stage_reference_plugin(dir.file("plugins"), "shortener");  // and the test environment has no HOME
  auto tg = start_toolgate(dir.file("plugins"), dir.path());
  json::object r = tg->call_tool("list_short_urls", {});
  ASSERT_TRUE(is_error(r));
  EXPECT_NE(text_of(r).find("set \"database\" in its manifest config"), std::string::npos) << text_of(r);
}

}  // namespace
