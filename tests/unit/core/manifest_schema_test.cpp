// JSON Schema validation (core/registry/schema_validator.hpp), and the agreement between
// manifests/manifest.schema.json and parse_manifest: every shipped manifest passes both, and a
// table of variants is accepted or rejected by both alike, so the two cannot drift apart.
#include "registry/manifest.hpp"
#include "registry/schema_validator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>

#include "util/json_reader.hpp"

namespace toolgate {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path kManifestDir = fs::path(TOOLGATE_SOURCE_DIR) / "manifests";

json::object load_json(const fs::path& p) {
  JsonErrors errors;
  auto text = read_file(p.string(), errors);
  if (!text) throw std::runtime_error(errors.joined());
  auto v = parse_json_text(*text, p.string(), errors);
  if (!v || !v->is_object()) throw std::runtime_error(p.string() + ": not a JSON object " + errors.joined());
  return v->get_object();
}

TEST(SchemaValidator, ValidInstanceGivesEmptyString) {
  SchemaValidator v(json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})")
                        .as_object());
  EXPECT_EQ(v.validate(json::parse(R"({"text":"hi"})")), "");
}

TEST(SchemaValidator, TypeAndRequiredErrors) {
  SchemaValidator v(json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})")
                        .as_object());
  EXPECT_EQ(v.validate(json::parse(R"({"text":5})")), "$.text: Value type not permitted by 'type' constraint.");
  EXPECT_EQ(v.validate(json::parse("{}")), "$: Missing required property 'text'.");
  EXPECT_EQ(v.validate(json::parse("[]")), "$: Value type not permitted by 'type' constraint.");
}

TEST(SchemaValidator, StrongTypesDoNotCoerce) {
  SchemaValidator v(json::parse(R"({"type":"object","properties":{"n":{"type":"integer"},"b":{"type":"boolean"}}})")
                        .as_object());
  EXPECT_EQ(v.validate(json::parse(R"({"n":"5"})")), "$.n: Value type not permitted by 'type' constraint.");
  EXPECT_EQ(v.validate(json::parse(R"({"b":"true"})")), "$.b: Value type not permitted by 'type' constraint.");
  EXPECT_EQ(v.validate(json::parse(R"({"n":5,"b":false})")), "");
}

TEST(SchemaValidator, NestedPathsRenderAsJsonPath) {
  SchemaValidator v(json::parse(R"({"type":"object","properties":{"a":{"type":"object","properties":{
      "b":{"type":"array","items":{"type":"string"}}}}}})")
                        .as_object());
  EXPECT_EQ(v.validate(json::parse(R"({"a":{"b":["ok",1]}})")), "$.a.b[1]: Value type not permitted by 'type' constraint.");
  EXPECT_EQ(v.validate(json::parse(R"({"a":{"b":[1]}})")), "$.a.b[0]: Value type not permitted by 'type' constraint.");
}

TEST(SchemaValidator, ShowsOnlyTheDeepestFailuresAtMostThree) {
  SchemaValidator v(json::parse(R"({"type":"array","items":{"type":"string"}})").as_object());
  // Five bad items: the summary errors about the array itself are dropped, three items shown.
  EXPECT_EQ(v.validate(json::parse(R"([1,2,3,4,5])")),
            "$[0]: Value type not permitted by 'type' constraint.; $[1]: Value type not permitted by 'type' "
            "constraint.; $[2]: Value type not permitted by 'type' constraint.");
}

TEST(SchemaValidator, Draft2020SchemaWithDefsAndRef) {
  SchemaValidator v(json::parse(R"({
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "type": "object",
      "$defs": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
      "properties": {"ports": {"type": "array", "items": {"$ref": "#/$defs/port"}}},
      "additionalProperties": false})")
                        .as_object());
  EXPECT_EQ(v.validate(json::parse(R"({"ports":[22,443]})")), "");
  EXPECT_EQ(v.validate(json::parse(R"({"ports":[22,0]})")), "$.ports[1]: Expected number greater than or equal to 1.000000");
  EXPECT_EQ(v.validate(json::parse(R"({"ports":[70000]})")), "$.ports[0]: Expected number less than or equal to 65535.000000");
  EXPECT_EQ(v.validate(json::parse(R"({"other":1})")),
            "$: Object contains a property that could not be validated using 'properties' or 'additionalProperties' "
            "constraints: 'other'.");
}

TEST(SchemaValidator, Draft7SchemaNameIsAlsoAccepted) {
  SchemaValidator v(json::parse(R"({"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
      "definitions":{"s":{"type":"string"}},"properties":{"x":{"$ref":"#/definitions/s"}}})")
                        .as_object());
  EXPECT_EQ(v.validate(json::parse(R"({"x":"y"})")), "");
  EXPECT_EQ(v.validate(json::parse(R"({"x":1})")), "$.x: Value type not permitted by 'type' constraint.");
}

// Runs in a child process (a death test that expects a clean exit), so a validator that kills the
// process instead of throwing fails this test alone rather than the whole suite.
void expect_compile_error(const char* schema, const std::string& reason_regex) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        try {
          SchemaValidator v(json::parse(schema).as_object());
          std::fprintf(stderr, "the schema compiled");
          std::_Exit(1);
        } catch (const std::runtime_error& e) {
          std::fprintf(stderr, "%s", e.what());
          std::_Exit(0);
        }
      },
      ::testing::ExitedWithCode(0), "^schema cannot be compiled: " + reason_regex)
      << schema;
}

TEST(SchemaValidator, UncompilableSchemaThrowsWithReason) {
  expect_compile_error(R"({"type":"object","properties":{"x":{"$ref":"#/$defs/missing"}}})", ".*\\$defs");
  expect_compile_error(R"({"type":"no-such-type"})", ".+");
  expect_compile_error(R"({"required":"x"})", ".+");
}

TEST(SchemaValidator, PatternTheRegexEngineRejectsFailsAtCompileNotAtCall) {
  // "\\p{L}" is a valid ECMA-262 pattern that std::regex cannot compile. It must be refused when
  // the tool loads, or at worst reported by validate(); an exception out of validate() escapes a
  // worker-pool task during tools/call and terminates the host.
  const char* schema = R"({"type":"object","properties":{"name":{"type":"string","pattern":"^\\p{L}+$"}}})";
  std::unique_ptr<SchemaValidator> v;
  try {
    v = std::make_unique<SchemaValidator>(json::parse(schema).as_object());
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("schema cannot be compiled: ", 0), 0u) << e.what();
    return;
  }
  std::string result;
  EXPECT_NO_THROW(result = v->validate(json::parse(R"({"name":"abc"})")));
  EXPECT_NE(result, "");
}

TEST(SchemaValidator, KeepsItsOwnCopyOfTheSchema) {
  std::unique_ptr<SchemaValidator> v;
  {
    json::object schema = json::parse(R"({"type":"object","required":["a"]})").as_object();
    v = std::make_unique<SchemaValidator>(schema);
  }  // the validator keeps its own copy of the schema
  EXPECT_EQ(v->validate(json::parse(R"({"a":1})")), "");
  EXPECT_EQ(v->validate(json::parse("{}")), "$: Missing required property 'a'.");
}

// --- the manifest schema and parse_manifest agree ---

std::vector<fs::path> shipped_manifests() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kManifestDir))
    if (e.path().extension() == ".json" && e.path().filename() != "manifest.schema.json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ManifestSchema, SchemaCompiles) { EXPECT_NO_THROW(SchemaValidator(load_json(kManifestDir / "manifest.schema.json"))); }

TEST(ManifestSchema, EveryShippedManifestPassesSchemaAndParser) {
  SchemaValidator schema(load_json(kManifestDir / "manifest.schema.json"));
  std::vector<fs::path> files = shipped_manifests();
  ASSERT_FALSE(files.empty()) << "no manifests found in " << kManifestDir;
  EXPECT_NE(std::find(files.begin(), files.end(), kManifestDir / "echo.json"), files.end());
  for (const auto& f : files) {
    SCOPED_TRACE(f.string());
    json::object doc = load_json(f);
    EXPECT_EQ(schema.validate(doc), "");
    JsonErrors errors;
    JsonErrors read_errors;
    auto m = parse_manifest(*read_file(f.string(), read_errors), f.string(), errors);
    EXPECT_TRUE(m) << errors.joined();
    if (m) {
      EXPECT_EQ(m->name, doc.at("name").as_string());
      EXPECT_EQ(m->tools.size(), doc.at("tools").as_array().size());
    }
  }
}

json::object base_manifest() {
  return json::parse(R"({
    "manifestVersion": 1, "name": "dns", "version": "1.0.0", "library": "libdns.so",
    "sha256": "0000000000000000000000000000000000000000000000000000000000000000",
    "abi": {"major": 1, "minor": 0},
    "tools": [{"name": "lookup", "description": "d", "inputSchema": {"type": "object"},
               "scope": "dns.read", "annotations": {"readOnlyHint": true}}]})")
      .as_object();
}

struct Variant {
  const char* what;
  bool valid;
  std::function<void(json::object&)> edit;
};

json::object& tool(json::object& m) { return m["tools"].as_array()[0].as_object(); }

TEST(ManifestSchema, SchemaAndParserAcceptAndRejectTheSameVariants) {
  SchemaValidator schema(load_json(kManifestDir / "manifest.schema.json"));
  const Variant variants[] = {
      {"base", true, [](json::object&) {}},
      {"with optional fields", true,
       [](json::object& m) {
         m["$schema"] = "./manifest.schema.json";
         m["description"] = "x";
         m["config"] = json::object{{"a", 1}};
         m["signature"] = json::object{{"keyId", "0123456789abcdef"}, {"algorithm", "Ed25519"}, {"value", "c2ln"}};
         tool(m)["title"] = "T";
         tool(m)["outputSchema"] = json::object{{"type", "object"}};
         tool(m)["icons"] = json::array{json::object{{"src", "a.png"}}};
         tool(m)["rateLimit"] = json::object{{"burst", 3}, {"perSecond", 0.5}};
         tool(m)["timeoutMs"] = 1000;
         tool(m)["execution"] = "job";
         tool(m)["estimatedSeconds"] = 0;
         tool(m)["taskSupport"] = "required";
       }},
      {"missing name", false, [](json::object& m) { m.erase("name"); }},
      {"missing abi", false, [](json::object& m) { m.erase("abi"); }},
      {"missing abi.major", false, [](json::object& m) { m["abi"].as_object().erase("major"); }},
      {"manifestVersion 2", false, [](json::object& m) { m["manifestVersion"] = 2; }},
      {"unknown top-level field", false, [](json::object& m) { m["extra"] = 1; }},
      {"unknown abi field", false, [](json::object& m) { m["abi"].as_object()["patch"] = 1; }},
      {"upper-case sha256", false, [](json::object& m) { m["sha256"] = std::string(64, 'A'); }},
      {"short sha256", false, [](json::object& m) { m["sha256"] = std::string(63, '0'); }},
      {"library with slash", false, [](json::object& m) { m["library"] = "lib/libdns.so"; }},
      {"library starting with dot", false, [](json::object& m) { m["library"] = "..so"; }},
      {"signature as a string", false, [](json::object& m) { m["signature"] = "s"; }},
      {"signature without value", false,
       [](json::object& m) { m["signature"] = json::object{{"keyId", "0123456789abcdef"}, {"algorithm", "Ed25519"}}; }},
      {"config not object", false, [](json::object& m) { m["config"] = json::array{}; }},
      {"tools empty", false, [](json::object& m) { m["tools"] = json::array{}; }},
      {"tool missing description", false, [](json::object& m) { tool(m).erase("description"); }},
      {"tool missing inputSchema", false, [](json::object& m) { tool(m).erase("inputSchema"); }},
      {"bad tool name", false, [](json::object& m) { tool(m)["name"] = "a b"; }},
      {"129-char tool name", false, [](json::object& m) { tool(m)["name"] = std::string(129, 'a'); }},
      {"inputSchema not object type", false,
       [](json::object& m) { tool(m)["inputSchema"] = json::object{{"type", "array"}}; }},
      {"inputSchema without type", false, [](json::object& m) { tool(m)["inputSchema"] = json::object{}; }},
      {"outputSchema not object type", false,
       [](json::object& m) { tool(m)["outputSchema"] = json::object{{"type", "string"}}; }},
      {"unknown tool field", false, [](json::object& m) { tool(m)["colour"] = "red"; }},
      {"unknown annotation", false, [](json::object& m) { tool(m)["annotations"].as_object()["fast"] = true; }},
      {"annotation not boolean", false,
       [](json::object& m) { tool(m)["annotations"].as_object()["idempotentHint"] = "yes"; }},
      {"icons not array", false, [](json::object& m) { tool(m)["icons"] = json::object{}; }},
      {"rateLimit burst 0", false, [](json::object& m) { tool(m)["rateLimit"] = json::object{{"burst", 0}, {"perSecond", 1}}; }},
      {"rateLimit perSecond 0", false,
       [](json::object& m) { tool(m)["rateLimit"] = json::object{{"burst", 1}, {"perSecond", 0}}; }},
      {"rateLimit missing perSecond", false, [](json::object& m) { tool(m)["rateLimit"] = json::object{{"burst", 1}}; }},
      {"timeoutMs 0", false, [](json::object& m) { tool(m)["timeoutMs"] = 0; }},
      {"estimatedSeconds -1", false, [](json::object& m) { tool(m)["estimatedSeconds"] = -1; }},
      {"execution async", false, [](json::object& m) { tool(m)["execution"] = "async"; }},
      {"taskSupport maybe", false, [](json::object& m) { tool(m)["taskSupport"] = "maybe"; }},
  };
  for (const auto& v : variants) {
    json::object doc = base_manifest();
    v.edit(doc);
    std::string schema_errors = schema.validate(doc);
    JsonErrors parse_errors;
    bool parsed = parse_manifest(json::serialize(doc), "/m.json", parse_errors).has_value();
    EXPECT_EQ(schema_errors.empty(), v.valid) << v.what << ": schema says " << schema_errors;
    EXPECT_EQ(parsed, v.valid) << v.what << ": parser says " << parse_errors.joined();
  }
}

}  // namespace
}  // namespace toolgate
