// The outputSchema shown to clients admits "[REDACTED]" exactly where the policy's paths may
// put it, so a redacted result still validates against what the tool advertises.
#include "policy/redaction_schema.hpp"

#include <gtest/gtest.h>

#include "registry/schema_validator.hpp"

namespace toolgate {
namespace {

namespace json = boost::json;

RedactionPath path(const char* text) {
  std::string error;
  auto p = RedactionPath::parse(text, error);
  if (!p) throw std::runtime_error(error);
  return *p;
}

// Redacts `instance` with `p`, then checks it against the schema before and after the rewrite.
struct Outcome {
  std::string before, after;
};
Outcome check(const char* p, const char* schema_text, const char* instance_text) {
  json::value schema = json::parse(schema_text);
  json::value instance = json::parse(instance_text);
  path(p).apply(instance);
  Outcome o;
  o.before = SchemaValidator(schema.as_object()).validate(instance);
  EXPECT_TRUE(admit_redaction_mark(path(p), schema)) << p;
  o.after = SchemaValidator(schema.as_object()).validate(instance);
  return o;
}

TEST(RedactionSchema, ARedactedFieldOfAnyTypeStillValidates) {
  const char* schema = R"({"type":"object","required":["count","name"],"additionalProperties":false,
    "properties":{"count":{"type":"integer"},"name":{"type":"string"}}})";
  Outcome o = check("$.count", schema, R"({"count":3,"name":"db"})");
  EXPECT_NE(o.before, "") << "the test would prove nothing: the redacted result already validated";
  EXPECT_EQ(o.after, "");
}

TEST(RedactionSchema, DescentWildcardsAndIndexesReachNestedSchemas) {
  const char* schema = R"({"type":"object","properties":{
    "items":{"type":"array","items":{"type":"object","properties":{"token":{"type":"integer"},"id":{"type":"integer"}}}},
    "nested":{"type":"object","properties":{"deep":{"type":"object","properties":{"password":{"type":"number"}}}}},
    "pair":{"type":"array","items":[{"type":"integer"},{"type":"boolean"}]}}})";
  const char* instance = R"({"items":[{"token":1,"id":1},{"token":2,"id":2}],"nested":{"deep":{"password":7}},"pair":[1,true]})";
  for (const char* p : {"$.items[*].token", "$..password", "$.pair[1]", "$.items[0]", "$.nested.*"}) {
    Outcome o = check(p, schema, instance);
    EXPECT_NE(o.before, "") << p;
    EXPECT_EQ(o.after, "") << p;
  }
}

TEST(RedactionSchema, OnlyTheSelectedLocationsChange) {
  json::value schema = json::parse(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}}})");
  ASSERT_TRUE(admit_redaction_mark(path("$.a"), schema));
  ASSERT_TRUE(admit_redaction_mark(path("$.a"), schema));  // twice: not wrapped twice
  EXPECT_EQ(schema, json::parse(R"({"type":"object","properties":{
    "a":{"anyOf":[{"type":"integer"},{"const":"[REDACTED]"}]},"b":{"type":"integer"}}})"));
}

TEST(RedactionSchema, SchemasAMarkCouldStillBreakCannotBeVouchedFor) {
  json::value ref = json::parse(R"({"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},
    "$defs":{"A":{"type":"object","properties":{"secret":{"type":"integer"}}}}})");
  EXPECT_FALSE(admit_redaction_mark(path("$.a.secret"), ref));
  // Both branches would admit the mark, and oneOf wants exactly one.
  json::value one_of = json::parse(R"({"type":"object","properties":{"a":{"oneOf":[
    {"type":"object","properties":{"k":{"type":"integer"}}},{"type":"object","properties":{"k":{"type":"boolean"}}}]}}})");
  EXPECT_FALSE(admit_redaction_mark(path("$.a.k"), one_of));
  json::value conditional = json::parse(R"({"type":"object","if":{"properties":{"k":{"const":1}}},
    "then":{"required":["x"]},"properties":{"k":{"type":"integer"}}})");
  EXPECT_FALSE(admit_redaction_mark(path("$.k"), conditional));
}

TEST(RedactionSchema, PatternPropertiesOfANamedMemberAreRelaxedToo) {
  Outcome o = check("$.n_count", R"({"type":"object","properties":{"n_count":{"type":"integer"}},
    "patternProperties":{"^n_":{"type":"integer"}}})", R"({"n_count":3})");
  EXPECT_NE(o.before, "");
  EXPECT_EQ(o.after, "");
}

}  // namespace
}  // namespace toolgate
