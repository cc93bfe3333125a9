// Manifest parsing (core/registry/manifest.hpp): a valid manifest and every error branch with its
// exact text, prefixed by the manifest file, including the annotation honesty rules.
// Schema/parser agreement for the shipped manifests lives in manifest_schema_test.cpp.
#include "registry/manifest.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "util/digest.hpp"

namespace toolgate {
namespace {

namespace json = boost::json;
using Items = std::vector<std::string>;

constexpr const char* kFile = "/etc/toolgate/plugins/dns.json";
const std::string kHash(64, 'a');

json::object valid_tool(const char* name = "lookup") {
  return json::object{
      {"name", name},
      {"description", "Looks a name up."},
      {"inputSchema", {{"type", "object"}, {"properties", {{"q", {{"type", "string"}}}}}}},
      {"scope", "dns.read"},
      {"annotations", {{"readOnlyHint", true}}},
  };
}

json::object valid_manifest() {
  return json::object{
      {"manifestVersion", 1},          {"name", "dns"},       {"version", "1.2.3"},
      {"library", "libdns.so"},        {"sha256", kHash},     {"abi", {{"major", 1}, {"minor", 2}}},
      {"tools", json::array{valid_tool()}},
  };
}

json::object& tool0(json::object& m) { return m["tools"].as_array()[0].as_object(); }

// Parses `m` after `edit`; returns the errors (empty when it parsed).
Items errors_of(json::object m, const std::function<void(json::object&)>& edit = {}) {
  if (edit) edit(m);
  JsonErrors errors;
  auto parsed = parse_manifest(json::serialize(m), kFile, errors);
  EXPECT_EQ(parsed.has_value(), errors.empty());
  return errors.items();
}

Items tool_errors(const std::function<void(json::object&)>& edit) {
  return errors_of(valid_manifest(), [&](json::object& m) { edit(tool0(m)); });
}

std::string err(const std::string& path_and_message) { return std::string(kFile) + ": " + path_and_message; }

TEST(Manifest, ValidManifestParses) {
  json::object doc = valid_manifest();
  doc["description"] = "DNS tools";
  doc["config"] = json::object{{"resolver", "10.0.0.1"}};
  doc["$schema"] = "./manifest.schema.json";
  doc["signature"] = json::object{{"keyId", "0123456789abcdef"}, {"algorithm", "Ed25519"}, {"value", "c2ln"}};
  std::string text = json::serialize(doc);
  JsonErrors errors;
  auto m = parse_manifest(text, kFile, errors);
  ASSERT_TRUE(m) << errors.joined();
  EXPECT_EQ(m->file, kFile);
  EXPECT_EQ(m->digest, sha256_hex(text));
  EXPECT_EQ(m->name, "dns");
  EXPECT_EQ(m->version, "1.2.3");
  EXPECT_EQ(m->description, "DNS tools");
  EXPECT_EQ(m->library, "libdns.so");
  EXPECT_EQ(m->sha256, kHash);
  EXPECT_EQ(m->abi_major, 1u);
  EXPECT_EQ(m->abi_minor, 2u);
  EXPECT_EQ(m->config, (json::object{{"resolver", "10.0.0.1"}}));
  ASSERT_EQ(m->tools.size(), 1u);
  const ToolManifest& t = m->tools[0];
  EXPECT_EQ(t.name, "lookup");
  EXPECT_EQ(t.title, "");
  EXPECT_EQ(t.description, "Looks a name up.");
  EXPECT_EQ(t.input_schema, doc["tools"].as_array()[0].at("inputSchema").as_object());
  EXPECT_FALSE(t.output_schema);
  EXPECT_EQ(t.scope, "dns.read");
  ASSERT_TRUE(t.annotations);
  EXPECT_EQ(*t.annotations, (json::object{{"readOnlyHint", true}}));
  EXPECT_FALSE(t.icons);
  EXPECT_FALSE(t.rate_limit);
  EXPECT_EQ(t.timeout_ms, 0);
  EXPECT_EQ(t.execution, "sync");
  EXPECT_EQ(t.estimated_seconds, 0);
  EXPECT_EQ(t.task_support, "forbidden");
  EXPECT_TRUE(t.read_only());
  EXPECT_FALSE(t.destructive());
}

TEST(Manifest, OptionalToolFieldsAreRead) {
  JsonErrors errors;
  json::object doc = valid_manifest();
  json::object& t = tool0(doc);
  t["title"] = "Lookup";
  t["outputSchema"] = json::object{{"type", "object"}};
  t["icons"] = json::array{json::object{{"src", "https://x/i.png"}}};
  t["rateLimit"] = json::object{{"burst", 5}, {"perSecond", 0.5}};
  t["timeoutMs"] = 1500;
  t["execution"] = "job";
  t["estimatedSeconds"] = 30;
  t["annotations"] = json::object{{"title", "L"}, {"readOnlyHint", false}, {"destructiveHint", true},
                                  {"idempotentHint", false}, {"openWorldHint", true}};
  auto m = parse_manifest(json::serialize(doc), kFile, errors);
  ASSERT_TRUE(m) << errors.joined();
  const ToolManifest& tm = m->tools[0];
  EXPECT_EQ(tm.title, "Lookup");
  EXPECT_EQ(*tm.output_schema, (json::object{{"type", "object"}}));
  EXPECT_EQ(tm.icons->size(), 1u);
  EXPECT_EQ(tm.rate_limit->burst, 5);
  EXPECT_EQ(tm.rate_limit->per_second, 0.5);
  EXPECT_EQ(tm.timeout_ms, 1500);
  EXPECT_EQ(tm.execution, "job");
  EXPECT_EQ(tm.task_support, "optional");  // the default for job tools
  EXPECT_EQ(tm.estimated_seconds, 30);
  EXPECT_FALSE(tm.read_only());
  EXPECT_TRUE(tm.destructive());
  EXPECT_EQ(tm.annotations->at("title"), "L");  // passed through exactly as written
}

TEST(Manifest, InvalidJsonNamesFileAndPosition) {
  JsonErrors errors;
  EXPECT_FALSE(parse_manifest("{\n  \"name\": }", kFile, errors));
  EXPECT_EQ(errors.items(), (Items{err("$: invalid JSON at line 2, column 11: syntax error")}));
}

TEST(Manifest, NonObjectDocument) {
  JsonErrors errors;
  EXPECT_FALSE(parse_manifest("[]", kFile, errors));
  EXPECT_EQ(errors.items(), (Items{err("$: expected an object")}));
}

TEST(Manifest, EveryMissingRequiredFieldIsReported) {
  EXPECT_EQ(errors_of(json::object{}),
            (Items{err("$.manifestVersion: is required"), err("$.name: is required"), err("$.version: is required"),
                   err("$.library: is required"), err("$.sha256: is required"), err("$.abi: is required"),
                   err("$.tools: is required")}));
}

TEST(Manifest, ManifestVersionMustBeOne) {
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["manifestVersion"] = 2; }),
            (Items{err("$.manifestVersion: expected an integer from 1 to 1, got 2")}));
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["manifestVersion"] = "1"; }),
            (Items{err("$.manifestVersion: expected an integer from 1 to 1")}));
}

TEST(Manifest, TopLevelTypeErrorsAndUnknownFields) {
  EXPECT_EQ(errors_of(valid_manifest(),
                      [](json::object& m) {
                        m["name"] = 5;
                        m["version"] = json::array{};
                        m["description"] = false;
                        m["config"] = "x";
                        m["extra"] = 1;
                      }),
            (Items{err("$.name: expected a string"), err("$.version: expected a string"),
                   err("$.description: expected a string"), err("$.config: expected an object"),
                   err("$.extra: unknown field")}));
}

TEST(Manifest, Sha256MustBe64LowerCaseHexDigits) {
  const char* msg = "$.sha256: expected 64 lower-case hex digits (run `toolgate manifest hash`)";
  for (std::string bad : {std::string(64, 'A'), std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'g'),
                          std::string(""), "sha256:" + std::string(57, 'a')})
    EXPECT_EQ(errors_of(valid_manifest(), [&](json::object& m) { m["sha256"] = bad; }), (Items{err(msg)})) << bad;
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["sha256"] = 7; }),
            (Items{err("$.sha256: expected a string"), err(msg)}));
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["sha256"] = "0123456789abcdef" + std::string(48, '0'); }),
            Items{});
}

TEST(Manifest, LibraryMustBeAPlainFileName) {
  for (const char* bad : {"sub/libdns.so", "../libdns.so", "/usr/lib/libdns.so", ".libdns.so", "..", "."})
    EXPECT_EQ(errors_of(valid_manifest(), [&](json::object& m) { m["library"] = bad; }),
              (Items{err("$.library: expected a plain file name inside the plugin directory")}))
        << bad;
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["library"] = "libdns.so.1"; }), Items{});
}

TEST(Manifest, AbiErrors) {
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["abi"] = json::object{{"minor", -1}, {"x", 1}}; }),
            (Items{err("$.abi.major: is required"), err("$.abi.minor: expected an integer from 0 to 1000000, got -1"),
                   err("$.abi.x: unknown field")}));
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["abi"] = 1; }), (Items{err("$.abi: expected an object")}));
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["abi"] = json::object{{"major", 1001}}; }),
            (Items{err("$.abi.major: expected an integer from 0 to 1000, got 1001")}));
}

TEST(Manifest, ToolsMustBeANonEmptyArrayOfObjects) {
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["tools"] = json::array{}; }),
            (Items{err("$.tools: expected at least one tool")}));
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["tools"] = json::object{}; }),
            (Items{err("$.tools: expected an array")}));
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["tools"].as_array().push_back("lookup2"); }),
            (Items{err("$.tools[1]: expected an object")}));
}

TEST(Manifest, SignatureShape) {
  // Only the shape is checked here; verification is registry/signature.hpp's job.
  EXPECT_EQ(errors_of(valid_manifest(), [](json::object& m) { m["signature"] = "sig"; }),
            (Items{err("$.signature: expected an object")}));
  EXPECT_EQ(errors_of(valid_manifest(),
                      [](json::object& m) { m["signature"] = json::object{{"keyId", 1}, {"by", "me"}}; }),
            (Items{err("$.signature.keyId: expected a string"), err("$.signature.algorithm: is required"),
                   err("$.signature.value: is required"), err("$.signature.by: unknown field")}));
}

TEST(Manifest, DuplicateToolNames) {
  EXPECT_EQ(errors_of(valid_manifest(),
                      [](json::object& m) {
                        m["tools"].as_array().push_back(valid_tool("other"));
                        m["tools"].as_array().push_back(valid_tool("lookup"));
                      }),
            (Items{err("$.tools[2].name: duplicate tool name 'lookup' in this manifest")}));
}

TEST(Manifest, ToolNameRules) {
  const char* msg = "$.tools[0].name: expected 1-128 characters of A-Z a-z 0-9 _ . -";
  for (std::string bad : {std::string(""), std::string("has space"), std::string("slash/name"), std::string(129, 'n'),
                          std::string("\xc3\xa9t\xc3\xa9")})
    EXPECT_EQ(tool_errors([&](json::object& t) { t["name"] = bad; }), (Items{err(msg)})) << bad;
  for (std::string good : {std::string(128, 'n'), std::string("dns.zone_get-v2"), std::string("A")})
    EXPECT_EQ(tool_errors([&](json::object& t) { t["name"] = good; }), Items{}) << good;
  EXPECT_TRUE(valid_tool_name("a.b-c_D9"));
  EXPECT_FALSE(valid_tool_name("a:b"));
}

TEST(Manifest, ToolRequiredFields) {
  EXPECT_EQ(tool_errors([](json::object& t) {
              t.erase("name");
              t.erase("description");
              t.erase("inputSchema");
            }),
            (Items{err("$.tools[0].name: is required"), err("$.tools[0].description: is required"),
                   err("$.tools[0].inputSchema: is required")}));
}

TEST(Manifest, SchemasMustBeObjectSchemas) {
  const char* in = "$.tools[0].inputSchema: expected a JSON Schema object with \"type\": \"object\"";
  const char* out = "$.tools[0].outputSchema: expected a JSON Schema object with \"type\": \"object\"";
  for (json::value bad : {json::value(json::object{{"type", "string"}}), json::value(json::object{}),
                          json::value("object"), json::value(json::array{}),
                          json::value(json::object{{"type", json::array{"object"}}})}) {
    EXPECT_EQ(tool_errors([&](json::object& t) { t["inputSchema"] = bad; }), (Items{err(in)})) << bad;
    EXPECT_EQ(tool_errors([&](json::object& t) { t["outputSchema"] = bad; }), (Items{err(out)})) << bad;
  }
}

TEST(Manifest, ExecutionAndTaskSupportValues) {
  EXPECT_EQ(tool_errors([](json::object& t) { t["execution"] = "async"; }),
            (Items{err("$.tools[0].execution: expected \"sync\" or \"job\"")}));
  EXPECT_EQ(tool_errors([](json::object& t) { t["taskSupport"] = "sometimes"; }),
            (Items{err("$.tools[0].taskSupport: expected \"forbidden\", \"optional\" or \"required\"")}));
  for (const char* ok : {"forbidden", "optional", "required"})
    EXPECT_EQ(tool_errors([&](json::object& t) { t["taskSupport"] = ok; }), Items{}) << ok;
}

TEST(Manifest, RateLimitRanges) {
  EXPECT_EQ(tool_errors([](json::object& t) { t["rateLimit"] = json::object{{"burst", 0}, {"perSecond", 0}}; }),
            (Items{err("$.tools[0].rateLimit.burst: expected an integer from 1 to 1000000, got 0"),
                   err("$.tools[0].rateLimit.perSecond: expected a number from 0.000001 to 1000000.000000")}));
  EXPECT_EQ(tool_errors([](json::object& t) { t["rateLimit"] = json::object{{"burst", 1000001}, {"perSecond", 2e6}}; }),
            (Items{err("$.tools[0].rateLimit.burst: expected an integer from 1 to 1000000, got 1000001"),
                   err("$.tools[0].rateLimit.perSecond: expected a number from 0.000001 to 1000000.000000")}));
  EXPECT_EQ(tool_errors([](json::object& t) { t["rateLimit"] = json::object{{"rate", 1}}; }),
            (Items{err("$.tools[0].rateLimit.burst: is required"), err("$.tools[0].rateLimit.perSecond: is required"),
                   err("$.tools[0].rateLimit.rate: unknown field")}));
  EXPECT_EQ(tool_errors([](json::object& t) { t["rateLimit"] = 5; }),
            (Items{err("$.tools[0].rateLimit: expected an object")}));
}

TEST(Manifest, TimeoutAndEstimateRanges) {
  EXPECT_EQ(tool_errors([](json::object& t) {
              t["timeoutMs"] = 0;
              t["estimatedSeconds"] = -1;
            }),
            (Items{err("$.tools[0].timeoutMs: expected an integer from 1 to 86400000, got 0"),
                   err("$.tools[0].estimatedSeconds: expected an integer from 0 to 604800, got -1")}));
}

TEST(Manifest, ToolFieldTypeErrorsAndUnknownFields) {
  EXPECT_EQ(tool_errors([](json::object& t) {
              t["title"] = 1;
              t["scope"] = json::array{};
              t["icons"] = json::object{};
              t["color"] = "red";
            }),
            (Items{err("$.tools[0].title: expected a string"), err("$.tools[0].scope: expected a string"),
                   err("$.tools[0].icons: expected an array"), err("$.tools[0].color: unknown field")}));
}

TEST(Manifest, AnnotationFieldsAreChecked) {
  EXPECT_EQ(tool_errors([](json::object& t) {
              t["annotations"] = json::object{{"readOnlyHint", true}, {"idempotentHint", "yes"}, {"sparkly", true}};
            }),
            (Items{err("$.tools[0].annotations.idempotentHint: expected true or false"),
                   err("$.tools[0].annotations.sparkly: unknown field")}));
  EXPECT_EQ(tool_errors([](json::object& t) { t["annotations"] = json::array{}; }),
            (Items{err("$.tools[0].annotations: expected an object"),
                   err("$.tools[0].annotations: a tool that is not readOnlyHint must state destructiveHint explicitly "
                       "(rule: no implicit destructive default)")}));
}

TEST(Manifest, ReadOnlyToolCannotBeDestructive) {
  EXPECT_EQ(tool_errors([](json::object& t) {
              t["annotations"] = json::object{{"readOnlyHint", true}, {"destructiveHint", true}};
            }),
            (Items{err("$.tools[0].annotations: a readOnlyHint tool cannot also be destructiveHint (rule: read-only "
                       "tools are not destructive)")}));
}

TEST(Manifest, ReadOnlyToolCannotRequireAWriteScope) {
  for (const char* scope : {"dns.write", "dns.zone.delete", "org.admin", "vm.destroy"})
    EXPECT_EQ(tool_errors([&](json::object& t) { t["scope"] = scope; }),
              (Items{err(std::string("$.tools[0].scope: a readOnlyHint tool cannot require the write scope '") + scope +
                         "' (rule: read-only tools require read scopes)")}))
        << scope;
  // Only a whole trailing segment counts: "dns.rewrite" and "dns.write.log" are not write scopes.
  for (const char* scope : {"dns.rewrite", "dns.write.log", "write"})
    EXPECT_EQ(tool_errors([&](json::object& t) { t["scope"] = scope; }), Items{}) << scope;
}

TEST(Manifest, NonReadOnlyToolMustStateDestructiveHint) {
  const std::string msg = err("$.tools[0].annotations: a tool that is not readOnlyHint must state destructiveHint "
                              "explicitly (rule: no implicit destructive default)");
  EXPECT_EQ(tool_errors([](json::object& t) { t.erase("annotations"); }), Items{msg});
  EXPECT_EQ(tool_errors([](json::object& t) { t["annotations"] = json::object{{"readOnlyHint", false}}; }), Items{msg});
  EXPECT_EQ(tool_errors([](json::object& t) { t["annotations"] = json::object{{"idempotentHint", true}}; }), Items{msg});
}

TEST(Manifest, NonReadOnlyToolWithExplicitHintParses) {
  for (bool destructive : {true, false}) {
    JsonErrors errors;
    json::object doc = valid_manifest();
    tool0(doc)["scope"] = "dns.write";
    tool0(doc)["annotations"] = json::object{{"destructiveHint", destructive}};
    auto m = parse_manifest(json::serialize(doc), kFile, errors);
    ASSERT_TRUE(m) << errors.joined();
    EXPECT_FALSE(m->tools[0].read_only());
    EXPECT_EQ(m->tools[0].destructive(), destructive);
  }
}

TEST(Manifest, ErrorsFromSeveralToolsAreAllReported) {
  EXPECT_EQ(errors_of(valid_manifest(),
                      [](json::object& m) {
                        m["version"] = 1;
                        json::object bad = valid_tool("second");
                        bad["execution"] = "later";
                        m["tools"].as_array().push_back(bad);
                        tool0(m)["timeoutMs"] = -5;
                      }),
            (Items{err("$.version: expected a string"),
                   err("$.tools[0].timeoutMs: expected an integer from 1 to 86400000, got -5"),
                   err("$.tools[1].execution: expected \"sync\" or \"job\"")}));
}

}  // namespace
}  // namespace toolgate
