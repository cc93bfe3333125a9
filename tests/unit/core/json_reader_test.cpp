// Strict JSON reading (core/util/json_reader.hpp): every getter's type and range error names the
// JSONPath of the value, required fields, unknown fields via finish(), bracket-quoted keys, and
// the parse and file errors that name their origin.
#include "util/json_reader.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace toolgate {
namespace {

namespace json = boost::json;

// Holds a parsed document and the errors of reading it.
struct Doc {
  explicit Doc(const char* text) : value(json::parse(text)), root(&value.as_object(), "$", errors) {}
  json::value value;
  JsonErrors errors;
  JsonObjectReader root;
  std::vector<std::string> items() const { return errors.items(); }
};

using Items = std::vector<std::string>;

TEST(JsonReader, ReadsEveryTypeWithoutErrors) {
  Doc d(R"({"s":"x","b":true,"i":5,"n":0.5,"a":["p","q"],"o":{"k":1},"arr":[1],"raw":{"z":null}})");
  EXPECT_EQ(d.root.string("s"), "x");
  EXPECT_EQ(d.root.boolean("b"), true);
  EXPECT_EQ(d.root.integer("i", 1, 10), 5);
  EXPECT_EQ(d.root.number("n", 0, 1), 0.5);
  EXPECT_EQ(d.root.string_array("a"), (Items{"p", "q"}));
  JsonObjectReader o = d.root.object("o");
  EXPECT_TRUE(o.present());
  EXPECT_EQ(o.path(), "$.o");
  EXPECT_EQ(o.integer("k", 0, 1), 1);
  o.finish();
  ASSERT_NE(d.root.array("arr"), nullptr);
  EXPECT_EQ(d.root.array("arr")->size(), 1u);
  ASSERT_NE(d.root.raw("raw"), nullptr);
  EXPECT_TRUE(d.root.raw("raw")->is_object());
  d.root.finish();
  EXPECT_TRUE(d.errors.empty()) << d.errors.joined();
}

TEST(JsonReader, AbsentOptionalFieldsGiveDefaultsAndNoErrors) {
  Doc d("{}");
  EXPECT_EQ(d.root.string("s"), std::nullopt);
  EXPECT_EQ(d.root.string_or("s", "def"), "def");
  EXPECT_EQ(d.root.boolean_or("b", true), true);
  EXPECT_EQ(d.root.integer_or("i", 42, 1, 100), 42);
  EXPECT_EQ(d.root.number("n", 0, 1), std::nullopt);
  EXPECT_EQ(d.root.string_array("a"), std::nullopt);
  EXPECT_FALSE(d.root.object("o").present());
  EXPECT_EQ(d.root.array("arr"), nullptr);
  EXPECT_EQ(d.root.raw("raw"), nullptr);
  d.root.finish();
  EXPECT_TRUE(d.errors.empty()) << d.errors.joined();
}

TEST(JsonReader, StringTypeError) {
  Doc d(R"({"s":1})");
  EXPECT_EQ(d.root.string_or("s", "def"), "def");
  EXPECT_EQ(d.items(), (Items{"$.s: expected a string"}));
}

TEST(JsonReader, BooleanTypeError) {
  Doc d(R"({"b":"true"})");
  EXPECT_EQ(d.root.boolean_or("b", false), false);
  EXPECT_EQ(d.items(), (Items{"$.b: expected true or false"}));
}

TEST(JsonReader, IntegerTypeErrorsNameTheAcceptedRange) {
  Doc d(R"({"a":"5","b":2.5,"c":null,"d":18446744073709551615})");
  EXPECT_EQ(d.root.integer("a", 1, INT64_MAX), std::nullopt);
  EXPECT_EQ(d.root.integer("b", 0, 10), std::nullopt);
  EXPECT_EQ(d.root.integer("c", 1, INT64_MAX), std::nullopt);
  EXPECT_EQ(d.root.integer("d", 0, INT64_MAX), std::nullopt);  // above int64: not representable
  EXPECT_EQ(d.items(), (Items{"$.a: expected an integer >= 1", "$.b: expected an integer from 0 to 10",
                              "$.c: expected an integer >= 1", "$.d: expected an integer >= 0"}));
}

TEST(JsonReader, IntegerRangeErrorsNameTheValue) {
  Doc d(R"({"a":0,"b":11,"c":-1,"d":10})");
  EXPECT_EQ(d.root.integer("a", 1, INT64_MAX), std::nullopt);
  EXPECT_EQ(d.root.integer_or("b", 7, 1, 10), 7);
  EXPECT_EQ(d.root.integer("c", 0, 10), std::nullopt);
  EXPECT_EQ(d.root.integer("d", 1, 10), 10);  // bounds are inclusive
  EXPECT_EQ(d.items(), (Items{"$.a: expected an integer >= 1, got 0", "$.b: expected an integer from 1 to 10, got 11",
                              "$.c: expected an integer from 0 to 10, got -1"}));
}

TEST(JsonReader, IntegralDoubleAndLargeUnsignedAreIntegers) {
  Doc d(R"({"a":3.0,"b":9223372036854775807,"c":1e2})");
  EXPECT_EQ(d.root.integer("a", 0, 10), 3);
  EXPECT_EQ(d.root.integer("b", 0, INT64_MAX), INT64_MAX);
  EXPECT_EQ(d.root.integer("c", 0, 1000), 100);
  EXPECT_TRUE(d.errors.empty()) << d.errors.joined();
}

TEST(JsonReader, NumberTypeAndRangeErrors) {
  Doc d(R"({"a":"1","b":2,"c":-0.5,"d":1})");
  EXPECT_EQ(d.root.number("a", 0, 1), std::nullopt);
  EXPECT_EQ(d.root.number("b", 0, 1), std::nullopt);
  EXPECT_EQ(d.root.number("c", 0, 1), std::nullopt);
  EXPECT_EQ(d.root.number("d", 0, 1), 1.0);  // integers are numbers; bounds inclusive
  EXPECT_EQ(d.items(), (Items{"$.a: expected a number", "$.b: expected a number from 0.000000 to 1.000000",
                              "$.c: expected a number from 0.000000 to 1.000000"}));
}

TEST(JsonReader, StringArrayErrorsNameTheArrayOrTheElement) {
  Doc d(R"({"a":"x","b":["ok",2,3],"c":{}})");
  EXPECT_EQ(d.root.string_array("a"), std::nullopt);
  EXPECT_EQ(d.root.string_array("b"), std::nullopt);
  EXPECT_EQ(d.root.string_array("c"), std::nullopt);
  // Only the first bad element is reported.
  EXPECT_EQ(d.items(), (Items{"$.a: expected an array of strings", "$.b[1]: expected a string",
                              "$.c: expected an array of strings"}));
}

TEST(JsonReader, ObjectAndArrayTypeErrors) {
  Doc d(R"({"o":[1],"a":{"x":1}})");
  JsonObjectReader o = d.root.object("o");
  EXPECT_FALSE(o.present());
  EXPECT_EQ(o.path(), "$.o");
  EXPECT_EQ(o.integer("x", 0, 1, true), std::nullopt);  // absent parent: no "is required" noise
  o.finish();
  EXPECT_EQ(d.root.array("a"), nullptr);
  d.root.finish();
  EXPECT_EQ(d.items(), (Items{"$.o: expected an object", "$.a: expected an array"}));
}

TEST(JsonReader, RequiredFieldsReportIsRequired) {
  Doc d("{}");
  d.root.string("s", true);
  d.root.boolean("b", true);
  d.root.integer("i", 0, 1, true);
  d.root.number("n", 0, 1, true);
  d.root.string_array("sa", true);
  JsonObjectReader o = d.root.object("o", true);
  EXPECT_FALSE(o.present());
  d.root.array("a", true);
  d.root.raw("r", true);
  EXPECT_EQ(d.items(), (Items{"$.s: is required", "$.b: is required", "$.i: is required", "$.n: is required",
                              "$.sa: is required", "$.o: is required", "$.a: is required", "$.r: is required"}));
}

TEST(JsonReader, FinishReportsUnreadFieldsOnly) {
  Doc d(R"({"known":1,"accepted":2,"extra":3,"typo":4,"bad":"x"})");
  d.root.integer("known", 0, 10);
  d.root.accept("accepted");
  d.root.integer("bad", 0, 10);  // a type error marks the key as known: reported once, not twice
  EXPECT_TRUE(d.root.has("extra"));  // has() does not mark a key as read
  d.root.finish();
  EXPECT_EQ(d.items(), (Items{"$.bad: expected an integer from 0 to 10", "$.extra: unknown field",
                              "$.typo: unknown field"}));
}

TEST(JsonReader, FinishOnAbsentObjectIsSilent) {
  Doc d("{}");
  JsonObjectReader o = d.root.object("missing");
  o.finish();
  EXPECT_TRUE(d.errors.empty());
}

TEST(JsonReader, NestedPathsInErrors) {
  Doc d(R"({"rateLimits":{"perTenant":{"burst":0,"unknown":true}}})");
  JsonObjectReader rl = d.root.object("rateLimits");
  JsonObjectReader pt = rl.object("perTenant");
  EXPECT_EQ(pt.path(), "$.rateLimits.perTenant");
  EXPECT_EQ(pt.integer("burst", 1, INT64_MAX), std::nullopt);
  pt.finish();
  rl.finish();
  d.root.finish();
  EXPECT_EQ(d.items(), (Items{"$.rateLimits.perTenant.burst: expected an integer >= 1, got 0",
                              "$.rateLimits.perTenant.unknown: unknown field"}));
}

TEST(JsonReader, KeysThatAreNotIdentifiersAreBracketQuoted) {
  Doc d(R"({"a-b":1,"a b":1,"":1,"q\"k":1,"dot.ted":1,"snake_Case9":1})");
  EXPECT_EQ(d.root.child_path("a-b"), R"($["a-b"])");
  EXPECT_EQ(d.root.child_path("a b"), R"($["a b"])");
  EXPECT_EQ(d.root.child_path(""), R"($[""])");
  EXPECT_EQ(d.root.child_path("q\"k"), R"($["q\"k"])");
  EXPECT_EQ(d.root.child_path("dot.ted"), R"($["dot.ted"])");
  EXPECT_EQ(d.root.child_path("snake_Case9"), "$.snake_Case9");
  d.root.accept("snake_Case9");
  d.root.string("a-b");
  d.root.finish();
  // Unknown-field order follows the document.
  EXPECT_EQ(d.items(), (Items{R"($["a-b"]: expected a string)", R"($["a b"]: unknown field)", R"($[""]: unknown field)",
                              R"($["q\"k"]: unknown field)", R"($["dot.ted"]: unknown field)"}));
}

TEST(JsonReader, NestedObjectUnderQuotedKey) {
  Doc d(R"({"tools":{"dns-lookup":{"scope":5}}})");
  JsonObjectReader t = d.root.object("tools").object("dns-lookup");
  EXPECT_EQ(t.path(), R"($.tools["dns-lookup"])");
  t.string("scope");
  EXPECT_EQ(d.items(), (Items{R"($.tools["dns-lookup"].scope: expected a string)"}));
}

TEST(JsonErrors, JoinedUsesSeparator) {
  JsonErrors e;
  EXPECT_EQ(e.joined(), "");
  e.add("$.a", "x");
  e.add("$.b", "y");
  EXPECT_EQ(e.joined(), "$.a: x\n$.b: y");
  EXPECT_EQ(e.joined("; "), "$.a: x; $.b: y");
}

TEST(ParseJsonText, ValidTextParses) {
  JsonErrors e;
  auto v = parse_json_text(R"({"a":[1,2]})", "policy.json", e);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("a").as_array().size(), 2u);
  EXPECT_TRUE(e.empty());
}

TEST(ParseJsonText, SyntaxErrorNamesOriginLineAndColumn) {
  JsonErrors e;
  EXPECT_FALSE(parse_json_text("{\n  \"a\": 1,\n  \"b\": ]\n}", "policy.json", e));
  ASSERT_EQ(e.items().size(), 1u);
  EXPECT_EQ(e.items()[0], "policy.json: invalid JSON at line 3, column 8: syntax error");
}

TEST(ParseJsonText, ErrorOnFirstLine) {
  JsonErrors e;
  EXPECT_FALSE(parse_json_text("{\"a\" 1}", "m.json", e));
  ASSERT_EQ(e.items().size(), 1u);
  EXPECT_EQ(e.items()[0], "m.json: invalid JSON at line 1, column 6: syntax error");
}

TEST(ParseJsonText, TruncatedDocumentPointsAtTheEnd) {
  JsonErrors e;
  EXPECT_FALSE(parse_json_text("{\n\"a\": [1,\n", "x", e));
  ASSERT_EQ(e.items().size(), 1u);
  EXPECT_EQ(e.items()[0], "x: invalid JSON at line 3, column 1: incomplete JSON");
}

TEST(ParseJsonText, TrailingGarbageIsAnError) {
  JsonErrors e;
  EXPECT_FALSE(parse_json_text("{} x", "x", e));
  ASSERT_EQ(e.items().size(), 1u);
  EXPECT_EQ(e.items()[0], "x: invalid JSON at line 1, column 4: extra data");
}

TEST(ParseJsonText, EmptyTextIsAnError) {
  JsonErrors e;
  EXPECT_FALSE(parse_json_text("", "empty.json", e));
  ASSERT_EQ(e.items().size(), 1u);
  EXPECT_EQ(e.items()[0], "empty.json: invalid JSON at line 1, column 1: incomplete JSON");
}

TEST(ReadFile, ReadsWholeFileBytes) {
  std::string path = ::testing::TempDir() + "json_reader_test_" + std::to_string(::getpid()) + ".json";
  const char raw[] = "line1\nline2\r\n\0tail";
  const std::string content(raw, sizeof raw - 1);  // binary-safe: CR and NUL kept
  {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  JsonErrors e;
  auto text = read_file(path, e);
  std::filesystem::remove(path);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, content);
  EXPECT_TRUE(e.empty());
}

TEST(ReadFile, MissingFileErrorNamesThePath) {
  JsonErrors e;
  EXPECT_FALSE(read_file("/nonexistent-dir/policy.json", e));
  EXPECT_EQ(e.items(), (Items{"/nonexistent-dir/policy.json: cannot read file: No such file or directory"}));
}

}  // namespace
}  // namespace toolgate
