// JSON locator and in-place member edits (core/registry/json_locator.hpp).
#include "registry/json_locator.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace toolgate {
namespace {

struct At {
  std::size_t line, column;
  bool operator==(const At&) const = default;
};
std::ostream& operator<<(std::ostream& o, const At& a) { return o << a.line << ":" << a.column; }

At at(const JsonLocator& loc, const std::string& path) {
  const JsonLocation* l = loc.find(path);
  if (!l) return {0, 0};
  LineColumn p = loc.position(l->begin);
  return {p.line, p.column};
}

const char* kDoc = R"({
  "name": "demo",
  "tools": [
    {"name": "a", "inputSchema": {"type": "object"}},
    {
      "name": "b",
      "dns.lookup": 1,
      "d\u00e9j\u00e0": "vu", "x": "\u00e9\u00e9", "y": true
    }
  ]
})";

TEST(JsonLocator, FindsValuesByTheParsersPaths) {
  JsonLocator loc(kDoc);
  EXPECT_TRUE(loc.complete());
  EXPECT_EQ(at(loc, "$"), (At{1, 1}));
  EXPECT_EQ(at(loc, "$.name"), (At{2, 11}));
  EXPECT_EQ(at(loc, "$.tools"), (At{3, 12}));
  EXPECT_EQ(at(loc, "$.tools[0]"), (At{4, 5}));
  EXPECT_EQ(at(loc, "$.tools[0].inputSchema.type"), (At{4, 43}));
  EXPECT_EQ(at(loc, "$.tools[1].name"), (At{6, 15}));
  EXPECT_EQ(at(loc, "$.tools[1][\"dns.lookup\"]"), (At{7, 21}));
  // Escaped keys are decoded before the path is built; columns count characters.
  EXPECT_EQ(at(loc, "$.tools[1][\"d\xc3\xa9j\xc3\xa0\"]"), (At{8, 25}));
  EXPECT_EQ(at(loc, "$.tools[1].y"), (At{8, 57}));
  JsonLocator utf8("{\"\xc3\xa9\": \"\xc3\xbc\", \"k\": 1}");
  EXPECT_EQ(at(utf8, "$.k"), (At{1, 17}));
  const JsonLocation* key = loc.find("$.tools[1].name");
  ASSERT_TRUE(key);
  EXPECT_EQ(loc.position(key->key_begin).column, 7u);
}

TEST(JsonLocator, ChildPathsMatchJsonObjectReader) {
  EXPECT_EQ(json_child_path("$", "name"), "$.name");
  EXPECT_EQ(json_child_path("$", "dns.lookup"), "$[\"dns.lookup\"]");
  EXPECT_EQ(json_child_path("$", ""), "$[\"\"]");
  EXPECT_EQ(json_child_path("$.a", "with \"quote\""), "$.a[\"with \\\"quote\\\"\"]");
}

TEST(JsonLocator, NearestFallsBackToTheClosestAncestor) {
  JsonLocator loc(kDoc);
  EXPECT_EQ(loc.nearest("$.tools[0].inputSchema.required"), loc.find("$.tools[0].inputSchema"));
  EXPECT_EQ(loc.nearest("$.tools[1][\"no.such\"]"), loc.find("$.tools[1]"));
  EXPECT_EQ(loc.nearest("$.tools[7].name"), loc.find("$.tools"));
  EXPECT_EQ(loc.nearest("$.missing"), loc.find("$"));
  EXPECT_EQ(loc.nearest("garbage"), loc.find("$"));
}

TEST(JsonLocator, StopsAtSyntaxErrorsKeepingWhatItFound) {
  JsonLocator loc("{\"a\": 1, \"b\": [1, 2,, ]}");
  EXPECT_FALSE(loc.complete());
  EXPECT_TRUE(loc.find("$.a"));
  EXPECT_TRUE(loc.find("$.b[1]"));
  EXPECT_FALSE(loc.find("$.b[2]"));
  JsonLocator deep(std::string(100000, '['));
  EXPECT_FALSE(deep.complete());
  EXPECT_EQ(JsonLocator("").nearest("$"), nullptr);
}

TEST(SetTopLevelMember, ReplacesInPlaceKeepingEverythingElse) {
  std::string text = "{\n  \"library\": \"liba.so\",\n  \"sha256\": \"old\",   \"x\": [1,2]\n}\n";
  EXPECT_EQ(set_top_level_member(text, "sha256", "\"new\""),
            "{\n  \"library\": \"liba.so\",\n  \"sha256\": \"new\",   \"x\": [1,2]\n}\n");
}

TEST(SetTopLevelMember, InsertsAfterTheAnchorIndentedLikeIt) {
  std::string text = "{\n    \"name\": \"a\",\n    \"library\": \"liba.so\",\n    \"tools\": []\n}";
  EXPECT_EQ(set_top_level_member(text, "sha256", "\"h\"", "library"),
            "{\n    \"name\": \"a\",\n    \"library\": \"liba.so\",\n    \"sha256\": \"h\",\n    \"tools\": []\n}");
  EXPECT_EQ(set_top_level_member(text, "signature", "{\"k\": 1}"),
            "{\n    \"name\": \"a\",\n    \"library\": \"liba.so\",\n    \"tools\": [],\n    \"signature\": {\"k\": 1}\n}");
  EXPECT_EQ(set_top_level_member("{\"a\":1}", "b", "2"), "{\"a\":1, \"b\": 2}");
  EXPECT_EQ(set_top_level_member("{ }", "b", "2"), "{ \"b\": 2}");
}

TEST(SetTopLevelMember, RefusesWhatIsNotAnObject) {
  EXPECT_EQ(set_top_level_member("[1]", "b", "2"), std::nullopt);
  EXPECT_EQ(set_top_level_member("{\"a\":", "b", "2"), std::nullopt);
  EXPECT_EQ(set_top_level_member("", "b", "2"), std::nullopt);
}

TEST(SetTopLevelMember, ResultStillParsesAndHoldsTheValue) {
  std::string text = R"({"manifestVersion":1,"library":"l.so","tools":[{"name":"t"}]})";
  auto out = set_top_level_member(text, "sha256", "\"abc\"", "library");
  ASSERT_TRUE(out);
  boost::json::value v = boost::json::parse(*out);
  EXPECT_EQ(v.at("sha256"), "abc");
  EXPECT_EQ(v.at("tools").as_array().size(), 1u);
}

}  // namespace
}  // namespace toolgate
