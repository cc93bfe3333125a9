// Response redaction (core/policy/response_redaction.hpp): the `redact` section's parsing and
// errors with their JSONPaths, and how paths reach structuredContent, JSON text content, embedded
// text resources and job partials, globally and per tool.
#include "policy/response_redaction.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

namespace json = boost::json;
using Items = std::vector<std::string>;

struct Parsed {
  ResponseRedaction rules;
  Items errors;
};

Parsed parse(const std::string& policy) {
  json::value doc = json::parse(policy);
  JsonErrors errors;
  JsonObjectReader root(&doc.get_object(), "$", errors);
  JsonObjectReader r = root.object("redact");
  Parsed p{parse_response_redaction(r), {}};
  p.errors = errors.items();
  return p;
}

ResponseRedaction rules(const std::string& redact_section) {
  Parsed p = parse("{\"redact\":" + redact_section + "}");
  EXPECT_TRUE(p.errors.empty()) << p.errors.front();
  return p.rules;
}

TEST(ResponseRedactionConfig, AbsentMeansNothingToRedact) {
  Parsed p = parse("{}");
  EXPECT_TRUE(p.errors.empty());
  EXPECT_TRUE(p.rules.none_for("any"));
}

TEST(ResponseRedactionConfig, BadPathsAndShapesNameTheirPath) {
  Parsed p = parse(R"({"redact":{"response":["$.ok","data.x",7],"perTool":{"fetch":["$.a","$.b["],"dns.lookup":"$.x"},
                     "extra":true}})");
  EXPECT_EQ(p.errors,
            (Items{"$.redact.response[1]: invalid path \"data.x\": a path starts with '$', e.g. $.data.password or $..token",
                   "$.redact.response[2]: expected a path string such as \"$.data.password\"",
                   "$.redact.perTool.fetch[1]: invalid path \"$.b[\": expected '*', an index or a quoted name after '[' "
                   "at offset 3 (filters, slices, unions and negative indexes are not supported)",
                   "$.redact.perTool[\"dns.lookup\"]: expected an array",
                   "$.redact.extra: unknown field"}));
  EXPECT_EQ(parse(R"({"redact":{"response":"$.x"}})").errors, (Items{"$.redact.response: expected an array"}));
  EXPECT_EQ(parse(R"({"redact":{"perTool":[]}})").errors, (Items{"$.redact.perTool: expected an object"}));
  EXPECT_EQ(parse(R"({"redact":[]})").errors, (Items{"$.redact: expected an object"}));
}

TEST(ResponseRedaction, StructuredContentAndJsonTextBothRedacted) {
  ResponseRedaction r = rules(R"({"response":["$.data.private_ip","$..password"]})");
  json::object result = json::parse(R"({
    "structuredContent":{"data":{"private_ip":"10.0.0.1","name":"db"},"password":"pw"},
    "content":[{"type":"text","text":"{\"data\":{\"private_ip\":\"10.0.0.1\",\"name\":\"db\"},\"password\":\"pw\"}"},
               {"type":"text","text":"not json, mentions 10.0.0.1"},
               {"type":"text","text":"[{\"password\":\"x\"}]"},
               {"type":"text","text":"{\"untouched\": true}"},
               {"type":"resource","resource":{"uri":"x:/1","mimeType":"application/json","text":"{\"password\":\"r\"}"}}]})")
                            .as_object();
  EXPECT_EQ(r.apply_to_result("t", result), 6u);
  EXPECT_EQ(result.at("structuredContent"), json::parse(R"({"data":{"private_ip":"[REDACTED]","name":"db"},"password":"[REDACTED]"})"));
  const json::array& c = result.at("content").as_array();
  EXPECT_EQ(json::parse(c[0].at("text").as_string()), result.at("structuredContent"));
  EXPECT_EQ(c[1].at("text"), "not json, mentions 10.0.0.1");  // only JSON documents are searched
  EXPECT_EQ(c[2].at("text"), R"([{"password":"[REDACTED]"}])");
  EXPECT_EQ(c[3].at("text"), "{\"untouched\": true}");  // nothing matched: the text is left byte for byte
  EXPECT_EQ(c[4].at("resource").at("text"), R"({"password":"[REDACTED]"})");
}

TEST(ResponseRedaction, ByteOrderMarkAndJsonLinesAreRedactedToo) {
  ResponseRedaction r = rules(R"({"response":["$..password"]})");
  json::object result = json::parse(R"({"content":[
    {"type":"text","text":"\ufeff{\"password\":\"p1\"}"},
    {"type":"text","text":"{\"password\":\"p2\"}\n{\"password\":\"p3\",\"id\":2}\nplain line p4\n"}]})")
                            .as_object();
  EXPECT_EQ(r.apply_to_result("t", result), 3u);
  const json::array& c = result.at("content").as_array();
  EXPECT_EQ(c[0].at("text"), R"({"password":"[REDACTED]"})");
  EXPECT_EQ(c[1].at("text"), "{\"password\":\"[REDACTED]\"}\n{\"password\":\"[REDACTED]\",\"id\":2}\nplain line p4\n");
}

// {"a":{"a":...{"password":"pw"}...}} with `depth` levels in all.
std::string nested(unsigned depth) {
  std::string doc;
  for (unsigned i = 1; i < depth; ++i) doc += "{\"a\":";
  doc += "{\"password\":\"pw\"}";
  doc += std::string(depth - 1, '}');
  return doc;
}

TEST(ResponseRedaction, JsonTextNestedDeeplyIsStillRedactedOrWithheld) {
  ResponseRedaction r = rules(R"({"response":["$..password"]})");
  // Deeper than Boost.JSON's default limit of 32, which once let such text through untouched.
  json::object result{{"content", json::array{json::object{{"type", "text"}, {"text", nested(40)}}}}};
  EXPECT_EQ(r.apply_to_result("t", result), 1u);
  std::string text(result.at("content").as_array()[0].at("text").as_string());
  EXPECT_EQ(text.find("pw"), std::string::npos) << text;
  EXPECT_NE(text.find("\"password\":\"[REDACTED]\""), std::string::npos) << text;
  // Too deep to walk: the whole text is withheld rather than passed on unchecked.
  result = {{"content", json::array{json::object{{"type", "text"}, {"text", nested(ResponseRedaction::kMaxTextDepth + 1)}}}}};
  EXPECT_EQ(r.apply_to_result("t", result), 1u);
  EXPECT_EQ(result.at("content").as_array()[0].at("text"),
            "[REDACTED: a JSON document nested more than 512 levels deep, too deep to check for redacted fields]");
}

TEST(ResponseRedaction, PerToolPathsAddToTheGlobalOnesForThatToolOnly) {
  ResponseRedaction r = rules(R"({"response":["$.a"],"perTool":{"fetch":["$.b"]}})");
  auto run = [&](const std::string& tool) {
    json::object result{{"structuredContent", json::object{{"a", 1}, {"b", 2}, {"c", 3}}}};
    r.apply_to_result(tool, result);
    return result.at("structuredContent");
  };
  EXPECT_EQ(run("fetch"), json::parse(R"({"a":"[REDACTED]","b":"[REDACTED]","c":3})"));
  EXPECT_EQ(run("other"), json::parse(R"({"a":"[REDACTED]","b":2,"c":3})"));

  ResponseRedaction only_tool = rules(R"({"perTool":{"fetch":["$.b"]}})");
  EXPECT_TRUE(only_tool.none_for("other"));
  EXPECT_FALSE(only_tool.none_for("fetch"));
}

TEST(ResponseRedaction, PartialsAreRedactedAsValues) {
  ResponseRedaction r = rules(R"({"response":["$..private_ip"]})");
  json::value partial = json::parse(R"({"step":1,"data":{"private_ip":"10.7.7.7"}})");
  EXPECT_EQ(r.apply_to_value("job", partial), 1u);
  EXPECT_EQ(partial, json::parse(R"({"step":1,"data":{"private_ip":"[REDACTED]"}})"));
  // A partial shaped like a tool result gets the result treatment (its JSON text too).
  json::value shaped = json::parse(R"({"content":[{"type":"text","text":"{\"private_ip\":\"10.1.1.1\"}"}]})");
  EXPECT_EQ(r.apply_to_value("job", shaped), 1u);
  EXPECT_EQ(shaped.at("content").at(0).at("text"), R"({"private_ip":"[REDACTED]"})");
}

}  // namespace
}  // namespace toolgate
