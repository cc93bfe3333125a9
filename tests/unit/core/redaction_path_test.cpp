// Response redaction paths (core/policy/redaction_path.hpp): what parses, what is refused with
// which message, and exactly which values each kind of step replaces.
#include "policy/redaction_path.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

namespace json = boost::json;

RedactionPath path(const std::string& text) {
  std::string error;
  auto p = RedactionPath::parse(text, error);
  EXPECT_TRUE(p) << text << ": " << error;
  return p ? *p : RedactionPath();
}

std::string refusal(const std::string& text) {
  std::string error;
  auto p = RedactionPath::parse(text, error);
  EXPECT_FALSE(p) << text;
  return error;
}

json::value redacted(const std::string& p, const std::string& doc, std::size_t expected_count) {
  json::value v = json::parse(doc);
  EXPECT_EQ(path(p).apply(v), expected_count) << p;
  return v;
}

TEST(RedactionPath, MemberSteps) {
  EXPECT_EQ(redacted("$.data.private_ip", R"({"data":{"private_ip":"10.0.0.1","public_ip":"1.2.3.4"}})", 1),
            json::parse(R"({"data":{"private_ip":"[REDACTED]","public_ip":"1.2.3.4"}})"));
  // Absent members and type mismatches match nothing and change nothing.
  EXPECT_EQ(redacted("$.data.private_ip", R"({"data":["x"],"other":1})", 0), json::parse(R"({"data":["x"],"other":1})"));
  EXPECT_EQ(redacted("$.a.b", R"({"a":"string"})", 0), json::parse(R"({"a":"string"})"));
}

TEST(RedactionPath, WholeSubtreesAndNonStringsBecomeTheMark) {
  EXPECT_EQ(redacted("$.creds", R"({"creds":{"user":"u","pw":"p"},"n":1})", 1),
            json::parse(R"({"creds":"[REDACTED]","n":1})"));
  EXPECT_EQ(redacted("$.n", R"({"n":42})", 1), json::parse(R"({"n":"[REDACTED]"})"));
  EXPECT_EQ(redacted("$.n", R"({"n":null})", 1), json::parse(R"({"n":"[REDACTED]"})"));
}

TEST(RedactionPath, RecursiveDescentAtEveryDepth) {
  EXPECT_EQ(redacted("$..password",
                     R"({"password":"a","x":{"password":"b","y":[{"password":"c"},{"other":"d"}]},"z":"password"})", 3),
            json::parse(R"({"password":"[REDACTED]","x":{"password":"[REDACTED]",
                            "y":[{"password":"[REDACTED]"},{"other":"d"}]},"z":"password"})"));
  // A redacted value is not entered again: an object under "password" counts once.
  EXPECT_EQ(redacted("$..password", R"({"password":{"password":"inner"}})", 1), json::parse(R"({"password":"[REDACTED]"})"));
  EXPECT_EQ(redacted("$.x..id", R"({"id":1,"x":{"id":2,"y":{"id":3}}})", 2),
            json::parse(R"({"id":1,"x":{"id":"[REDACTED]","y":{"id":"[REDACTED]"}}})"));
}

TEST(RedactionPath, ArrayWildcardIndexAndMemberWildcard) {
  EXPECT_EQ(redacted("$.items[*].token", R"({"items":[{"token":"a","id":1},{"id":2},{"token":"c"}]})", 2),
            json::parse(R"({"items":[{"token":"[REDACTED]","id":1},{"id":2},{"token":"[REDACTED]"}]})"));
  EXPECT_EQ(redacted("$.items[1]", R"({"items":["a","b","c"]})", 1), json::parse(R"({"items":["a","[REDACTED]","c"]})"));
  EXPECT_EQ(redacted("$.items[7]", R"({"items":["a"]})", 0), json::parse(R"({"items":["a"]})"));
  EXPECT_EQ(redacted("$.keys.*", R"({"keys":{"a":1,"b":[2]}})", 2), json::parse(R"({"keys":{"a":"[REDACTED]","b":"[REDACTED]"}})"));
  EXPECT_EQ(redacted("$[*].secret", R"([{"secret":1},{"secret":2}])", 2),
            json::parse(R"([{"secret":"[REDACTED]"},{"secret":"[REDACTED]"}])"));
}

TEST(RedactionPath, QuotedNames) {
  EXPECT_EQ(redacted("$['x-api key'].v", R"({"x-api key":{"v":1}})", 1), json::parse(R"({"x-api key":{"v":"[REDACTED]"}})"));
  EXPECT_EQ(redacted(R"($["a.b"])", R"({"a.b":1,"a":{"b":2}})", 1), json::parse(R"({"a.b":"[REDACTED]","a":{"b":2}})"));
  EXPECT_EQ(redacted(R"($['it\'s'])", R"({"it's":1})", 1), json::parse(R"({"it's":"[REDACTED]"})"));
  EXPECT_EQ(redacted("$..['pass word']", R"({"a":{"pass word":1}})", 1), json::parse(R"({"a":{"pass word":"[REDACTED]"}})"));
}

TEST(RedactionPath, RefusedSyntaxSaysWhy) {
  EXPECT_EQ(refusal(""), "a path starts with '$', e.g. $.data.password or $..token");
  EXPECT_EQ(refusal("data.password"), "a path starts with '$', e.g. $.data.password or $..token");
  EXPECT_EQ(refusal("$"), "\"$\" alone would hide the whole result; name the fields to redact, e.g. $.data.password");
  EXPECT_EQ(refusal("$.data."), "expected a member name or '*' at offset 7 (names with other characters go in brackets: ['my key'])");
  EXPECT_EQ(refusal("$..") , "expected a member name or '*' at offset 3 (names with other characters go in brackets: ['my key'])");
  EXPECT_EQ(refusal("$.a[?(@.x)]"),
            "expected '*', an index or a quoted name after '[' at offset 3 (filters, slices, unions and negative indexes are not supported)");
  EXPECT_EQ(refusal("$.a[-1]"),
            "expected '*', an index or a quoted name after '[' at offset 3 (filters, slices, unions and negative indexes are not supported)");
  EXPECT_EQ(refusal("$.a[0:2]"), "expected ']' at offset 5");
  EXPECT_EQ(refusal("$.a['x"), "unterminated quoted name starting at offset 4");
  EXPECT_EQ(refusal("$a"), "unexpected 'a' at offset 1; expected '.', '..' or '['");
  EXPECT_EQ(refusal("$.a[12345678901]"), "array index too large at offset 4");
}

TEST(RedactionPath, StepsAreWhatTheTextSays) {
  RedactionPath p = path("$..items[*][2].x");
  using K = RedactionPath::Step::Kind;
  ASSERT_EQ(p.steps().size(), 5u);
  EXPECT_EQ(p.steps()[0].kind, K::Descend);
  EXPECT_EQ(p.steps()[1].kind, K::Member);
  EXPECT_EQ(p.steps()[1].name, "items");
  EXPECT_EQ(p.steps()[2].kind, K::Wildcard);
  EXPECT_EQ(p.steps()[3].kind, K::Index);
  EXPECT_EQ(p.steps()[3].index, 2u);
  EXPECT_EQ(p.steps()[4].name, "x");
  EXPECT_EQ(p.text(), "$..items[*][2].x");
}

}  // namespace
}  // namespace toolgate
