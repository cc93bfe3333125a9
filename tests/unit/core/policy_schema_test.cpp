// Agreement between core/app/policy.schema.json and the policy parser (parse_config plus the
// areas' own section parsers): documents that set every property the schema lists pass both,
// and the schema lists nothing those documents leave out; a table of invalid values is refused
// by both, the parser naming the path; the development policy and the README's policy examples
// validate against the schema.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/config.hpp"
#include "app/policy_sections.hpp"
#include "registry/schema_validator.hpp"

namespace toolgate {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const fs::path kSource(TOOLGATE_SOURCE_DIR);

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const json::object& schema() {
  static const json::object s = json::parse(slurp(kSource / "core/app/policy.schema.json")).as_object();
  return s;
}

const SchemaValidator& validator() {
  static const SchemaValidator v(schema());
  return v;
}

// A scratch directory for the documents, holding the files they name (the audit HMAC key).
struct Scratch {
  Scratch() {
    dir = fs::temp_directory_path() / ("tg-policy-schema-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "audit.key") << std::string(32, 'k');
  }
  ~Scratch() { fs::remove_all(dir); }
  fs::path dir;
};

// Everything the parser reports for a document: parse_config and the areas' sections.
std::vector<std::string> parser_errors(const std::string& text, const fs::path& dir) {
  JsonErrors errors;
  auto c = parse_config(text, (dir / "policy.json").string(), errors);
  if (c) check_area_sections(*c, errors);
  return errors.items();
}

// Every property the schema lists at each place, as JSONPath-like strings ("$.audit.taps[].type"),
// and which of them `doc` sets. Maps (additionalProperties schemas) use "*" for the key.
const json::object& deref(const json::object& node) {
  if (auto* ref = node.if_contains("$ref")) {
    std::string name(ref->as_string());
    return schema().at("definitions").as_object().at(name.substr(name.rfind('/') + 1)).as_object();
  }
  return node;
}

void walk(const json::object& raw_node, const json::value* doc, const std::string& path, std::set<std::string>& listed,
          std::set<std::string>& set) {
  const json::object& node = deref(raw_node);
  if (auto* props = node.if_contains("properties")) {
    for (const auto& kv : props->as_object()) {
      std::string p = path + "." + std::string(kv.key());
      if (kv.key() == "$schema") continue;
      listed.insert(p);
      const json::value* child = doc && doc->is_object() ? doc->as_object().if_contains(kv.key()) : nullptr;
      if (child) set.insert(p);
      walk(kv.value().as_object(), child, p, listed, set);
    }
  }
  if (auto* extra = node.if_contains("additionalProperties"); extra && extra->is_object())
    if (doc && doc->is_object())
      for (const auto& kv : doc->as_object()) walk(extra->as_object(), &kv.value(), path + ".*", listed, set);
  if (auto* items = node.if_contains("items"); items && items->is_object() && !items->as_object().contains("oneOf"))
    if (doc && doc->is_array())
      for (const auto& item : doc->as_array()) walk(items->as_object(), &item, path + "[]", listed, set);
}

// Between them these set every property the schema lists (jwks and pem exclude each other, as
// do the tap kinds' fields, hence more than one document).
const char* kEveryField[] = {R"({
  "$schema": "policy.schema.json",
  "plugins": { "directory": "plugins", "manifestDirectory": "manifests", "requireSigned": true,
               "trustedPublishers": [{"name": "acme", "key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}],
               "pinsFile": "pins.json", "onDefinitionChange": "warn", "initTimeoutMs": 0,
               "config": { "echo": { "greeting": "hi" } } },
  "server": { "maxMessageBytes": 2048, "workers": 2, "defaultTimeoutMs": 1000, "shutdownGraceMs": 0,
              "clientRequestTimeoutMs": 5, "logLevel": "warn", "toolsPageSize": 10, "instructions": "hi",
              "watchPolicyFile": false },
  "identity": { "tokenEnv": "MY_TOKEN", "keysFile": "keys.json",
                "jwt": { "jwks": "jwks.json", "issuer": "https://idp", "audience": "tg", "leewaySeconds": 0,
                         "tenantClaim": "org", "subjectClaim": "email", "defaultTenant": "acme" },
                "anonymous": { "tenant": "public", "scopes": ["docs.read"] } },
  "tools": { "echo": { "scope": "echo.read" } },
  "toolList": "all",
  "tenants": { "acme": { "allowTools": ["dns_*"], "denyTools": ["dns_zone_transfer"] } },
  "rateLimits": { "store": "memory", "onStoreError": "open", "perTool": { "echo": { "burst": 5, "perSecond": 0.5 } },
                  "perTenant": { "burst": 100, "perSecond": 10 }, "tenants": { "acme": { "burst": 1, "perSecond": 1 } },
                  "maxInFlightPerPrincipal": 4, "idleExpirySeconds": 60, "hostStorePath": "/dev/shm/x",
                  "hostStoreSlots": 64, "storeTimeoutMs": 10 },
  "consent": { "exempt": [{ "tenant": "acme", "subject": "ci" }], "tools": { "delete_x": false },
               "timeoutMs": 1000, "stateKeyFile": "consent.key" },
  "redact": { "extraKeys": ["ssn"], "extraPatterns": ["sk_live_[A-Za-z0-9]+"], "response": ["$.data.private_ip", "$..password"],
              "perTool": { "dns_lookup": ["$.records[*].ttl"] } },
  "audit": { "enabled": true, "directory": "audit", "maxFileBytes": 4096, "maxFiles": 1, "hmacKeyFile": "audit.key",
             "fsync": true, "failMode": "open", "maxInputBytes": 4096,
             "redact": { "keys": ["password"], "patterns": ["secret-[0-9]+"], "extraKeys": ["pin"], "extraPatterns": ["x[0-9]"] },
             "taps": [{ "type": "syslog", "facility": "local3", "queueSize": 5 }, { "type": "udp", "address": "127.0.0.1:5140" }] },
  "jobs": { "stateDirectory": "state", "resultTtlSeconds": 0, "maxConcurrentPerPrincipal": 1, "defaultTimeoutMs": 1,
            "workers": 1, "pollIntervalMs": 10 }
})",
                             R"({ "identity": { "jwt": { "pem": "idp.pem", "issuer": "https://idp", "audience": "tg" } } })"};

TEST(PolicySchema, CompilesAndDocumentsEveryField) {
  Scratch s;
  std::set<std::string> listed, set;
  for (const char* text : kEveryField) {
    json::value doc = json::parse(text);
    EXPECT_EQ(validator().validate(doc), "") << text;
    EXPECT_EQ(parser_errors(text, s.dir), std::vector<std::string>{}) << text;
    walk(schema(), &doc, "$", listed, set);
  }
  std::vector<std::string> unset;
  for (const auto& p : listed)
    if (!set.count(p)) unset.push_back(p);
  EXPECT_EQ(unset, std::vector<std::string>{}) << "schema properties no test document sets (so the parser was never "
                                                  "shown to accept them)";
  EXPECT_GT(listed.size(), 90u);  // the walk really went through the sections
}

TEST(PolicySchema, DefaultsAreTheParsersDefaults) {
  // Spot-check the defaults the schema documents against what an empty file gets.
  const json::object& server = schema().at("properties").as_object().at("server").as_object().at("properties").as_object();
  EXPECT_EQ(server.at("workers").as_object().at("default"), 8);
  EXPECT_EQ(server.at("maxMessageBytes").as_object().at("default"), 4194304);
  EXPECT_EQ(server.at("watchPolicyFile").as_object().at("default"), true);
  const json::object& consent = schema().at("properties").as_object().at("consent").as_object().at("properties").as_object();
  EXPECT_EQ(consent.at("timeoutMs").as_object().at("default"), 120000);
  // And those defaults are what the parser uses for an empty file.
  JsonErrors errors;
  auto c = parse_config("{}", "/etc/toolgate/policy.json", errors);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->server.workers, 8u);
  EXPECT_EQ(c->server.max_message_bytes, 4194304u);
  EXPECT_TRUE(c->server.watch_policy_file);
  EXPECT_EQ(c->consent.timeout_ms, 120000);
}

TEST(PolicySchema, InvalidValuesAreRefusedByBothWithThePath) {
  Scratch s;
  struct Case {
    const char* doc;
    const char* parser_error;  // the parser's message, exactly
  };
  const Case cases[] = {
      {R"({"rateLimits":{"perTenant":{"burst":0,"perSecond":1}}})", "$.rateLimits.perTenant.burst: expected an integer >= 1"},
      {R"({"rateLimits":{"perTool":{"echo":{"burst":1,"perSecond":0}}}})", "$.rateLimits.perTool.echo.perSecond: expected a number > 0"},
      {R"({"rateLimits":{"store":"mongo://x"}})", "$.rateLimits.store: expected \"memory\", \"host\" or \"redis://host:port\", got \"mongo://x\""},
      {R"({"server":{"workers":0}})", "$.server.workers: expected an integer from 1 to 256, got 0"},
      {R"({"server":{"wrkers":1}})", "$.server.wrkers: unknown field"},
      {R"({"server":{"watchPolicyFile":"yes"}})", "$.server.watchPolicyFile: expected true or false"},
      {R"({"toolList":"some"})", "$.toolList: expected \"callable\" or \"all\""},
      {R"({"tools":{"echo":{"scope":""}}})", "$.tools.echo.scope: expected a non-empty scope"},
      {R"({"tenants":{"acme":{"allowTools":"x"}}})", "$.tenants.acme.allowTools: expected an array of strings"},
      {R"({"tenants":{"acme":{"allow":["x"]}}})", "$.tenants.acme.allow: unknown field"},
      {R"({"redact":{"response":[1]}})", "$.redact.response[0]: expected a string"},
      {R"({"redact":{"perTool":{"t":"x"}}})", "$.redact.perTool.t: expected an array of strings"},
      {R"({"redact":{"paths":[]}})", "$.redact.paths: unknown field"},
      {R"({"identity":{"tokenEnv":"1BAD"}})", "$.identity.tokenEnv: expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"},
      {R"({"identity":{"jwt":{"jwks":"j","audience":"a"}}})", "$.identity.jwt.issuer: is required"},
      {R"({"identity":{"anonymous":{"scopes":["a"],"admin":true}}})", "$.identity.anonymous.admin: unknown field"},
      {R"({"audit":{"failMode":"sometimes"}})", "$.audit.failMode: expected \"closed\" or \"open\""},
      {R"({"audit":{"maxFiles":0}})", "$.audit.maxFiles: expected an integer from 1 to 1000, got 0"},
      {R"({"audit":{"taps":[{"type":"ftp"}]}})", "$.audit.taps[0].type: expected \"syslog\", \"udp\" or \"tcp\""},
      {R"({"jobs":{"workers":0}})", "$.jobs.workers: expected an integer from 1 to 256, got 0"},
      {R"({"consent":{"timeoutMs":5}})", "$.consent.timeoutMs: expected an integer from 1000 to 3600000, got 5"},
      {R"({"consent":{"exempt":[{"subject":"x"}]}})", "$.consent.exempt[0].tenant: is required"},
      {R"({"plugins":{"onDefinitionChange":"ignore"}})", "$.plugins.onDefinitionChange: expected \"refuse\" or \"warn\""},
      {R"({"plugins":{"pinsFile":true}})", "$.plugins.pinsFile: expected a file name, or false to turn pinning off"},
      {R"({"policyVersion":2})", "$.policyVersion: unknown field"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> errors = parser_errors(c.doc, s.dir);
    bool named = false;
    for (const auto& e : errors) named = named || e.find(c.parser_error) != std::string::npos;
    std::string said;
    for (const auto& e : errors) said += "\n    " + e;
    EXPECT_TRUE(named) << c.doc << "\n  parser said:" << said;
    EXPECT_NE(validator().validate(json::parse(c.doc)), "") << "the schema accepts " << c.doc;
  }
}

TEST(PolicySchema, DevelopmentPolicyAndReadmeExamplesValidate) {
  EXPECT_EQ(validator().validate(json::parse(slurp(kSource / "scripts/dev-policy.json"))), "");

  // README code blocks that are policy: a whole document or a `"section": {...}` fragment whose
  // sections are all policy sections (client configuration and manifests are skipped).
  std::string readme = slurp(kSource / "README.md");
  std::regex block("```json\n([\\s\\S]*?)```");
  const json::object& sections = schema().at("properties").as_object();
  int checked = 0;
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), block); it != std::sregex_iterator(); ++it) {
    std::string text = (*it)[1].str();
    if (text.find_first_not_of(" \n") != std::string::npos && text[text.find_first_not_of(" \n")] == '"')
      text = "{" + text + "}";
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    ASSERT_FALSE(ec) << "README json block does not parse: " << text;
    if (!doc.is_object() || doc.as_object().empty()) continue;
    bool policy = true;
    for (const auto& kv : doc.as_object()) policy = policy && sections.contains(kv.key());
    if (!policy) continue;
    ++checked;
    EXPECT_EQ(validator().validate(doc), "") << text;
  }
  EXPECT_GE(checked, 8);
}

}  // namespace
}  // namespace toolgate
