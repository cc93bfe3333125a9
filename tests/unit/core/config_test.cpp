// The policy file (core/app/config.hpp): defaults, every server field's range error with its
// path, unknown fields, tool overrides, toolList, and paths resolved against the file's directory.
#include "app/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "util/digest.hpp"

namespace toolgate {
namespace {

namespace fs = std::filesystem;
using Items = std::vector<std::string>;

constexpr const char* kFile = "/etc/toolgate/policy.json";

Items errors_of(const std::string& text) {
  JsonErrors errors;
  auto c = parse_config(text, kFile, errors);
  EXPECT_FALSE(c) << text;
  return errors.items();
}

Config parse_ok(const std::string& text, const std::string& file = kFile) {
  JsonErrors errors;
  auto c = parse_config(text, file, errors);
  EXPECT_TRUE(c) << errors.joined();
  return c ? *c : Config{};
}

TEST(Config, EmptyDocumentGivesDefaults) {
  Config c = parse_ok("{}");
  EXPECT_EQ(c.file, kFile);
  EXPECT_EQ(c.base_dir, "/etc/toolgate");
  EXPECT_EQ(c.digest, sha256_hex("{}"));
  EXPECT_TRUE(c.raw.empty());
  EXPECT_EQ(c.server.plugin_dir, "");
  EXPECT_EQ(c.server.manifest_dir, "");
  EXPECT_EQ(c.server.max_message_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(c.server.workers, 8u);
  EXPECT_EQ(c.server.default_timeout_ms, 60'000);
  EXPECT_EQ(c.server.shutdown_grace_ms, 5'000);
  EXPECT_EQ(c.server.client_request_timeout_ms, 60'000);
  EXPECT_EQ(c.server.log_level, "info");
  EXPECT_EQ(c.server.tools_page_size, 100u);
  EXPECT_EQ(c.server.instructions, "");
  EXPECT_TRUE(c.tools.empty());
  EXPECT_FALSE(c.list_all_tools);
}

TEST(Config, ServerFieldsAreRead) {
  Config c = parse_ok(R"({"server":{"maxMessageBytes":1024,"workers":256,"defaultTimeoutMs":1,"shutdownGraceMs":0,
      "clientRequestTimeoutMs":3600000,"logLevel":"debug","toolsPageSize":10000,"instructions":"Be careful."}})");
  EXPECT_EQ(c.server.max_message_bytes, 1024u);
  EXPECT_EQ(c.server.workers, 256u);
  EXPECT_EQ(c.server.default_timeout_ms, 1);
  EXPECT_EQ(c.server.shutdown_grace_ms, 0);
  EXPECT_EQ(c.server.client_request_timeout_ms, 3'600'000);
  EXPECT_EQ(c.server.log_level, "debug");
  EXPECT_EQ(c.server.tools_page_size, 10'000u);
  EXPECT_EQ(c.server.instructions, "Be careful.");
}

TEST(Config, ServerFieldsBelowRange) {
  EXPECT_EQ(errors_of(R"({"server":{"maxMessageBytes":1023,"workers":0,"defaultTimeoutMs":0,"shutdownGraceMs":-1,
      "clientRequestTimeoutMs":0,"toolsPageSize":0}})"),
            (Items{"$.server.maxMessageBytes: expected an integer from 1024 to 1073741824, got 1023",
                   "$.server.workers: expected an integer from 1 to 256, got 0",
                   "$.server.defaultTimeoutMs: expected an integer from 1 to 86400000, got 0",
                   "$.server.shutdownGraceMs: expected an integer from 0 to 600000, got -1",
                   "$.server.clientRequestTimeoutMs: expected an integer from 1 to 3600000, got 0",
                   "$.server.toolsPageSize: expected an integer from 1 to 10000, got 0"}));
}

TEST(Config, ServerFieldsAboveRange) {
  EXPECT_EQ(errors_of(R"({"server":{"maxMessageBytes":1073741825,"workers":257,"defaultTimeoutMs":86400001,
      "shutdownGraceMs":600001,"clientRequestTimeoutMs":3600001,"toolsPageSize":10001}})"),
            (Items{"$.server.maxMessageBytes: expected an integer from 1024 to 1073741824, got 1073741825",
                   "$.server.workers: expected an integer from 1 to 256, got 257",
                   "$.server.defaultTimeoutMs: expected an integer from 1 to 86400000, got 86400001",
                   "$.server.shutdownGraceMs: expected an integer from 0 to 600000, got 600001",
                   "$.server.clientRequestTimeoutMs: expected an integer from 1 to 3600000, got 3600001",
                   "$.server.toolsPageSize: expected an integer from 1 to 10000, got 10001"}));
}

TEST(Config, ServerFieldTypes) {
  EXPECT_EQ(errors_of(R"({"server":{"workers":"4","logLevel":3,"instructions":[]}})"),
            (Items{"$.server.workers: expected an integer from 1 to 256", "$.server.logLevel: expected a string",
                   "$.server.instructions: expected a string"}));
  EXPECT_EQ(errors_of(R"({"server":[]})"), (Items{"$.server: expected an object"}));
}

TEST(Config, LogLevelValues) {
  for (const char* ok : {"trace", "debug", "info", "warn", "error", "off"})
    EXPECT_EQ(parse_ok(std::string(R"({"server":{"logLevel":")") + ok + "\"}}").server.log_level, ok);
  EXPECT_EQ(errors_of(R"({"server":{"logLevel":"verbose"}})"),
            (Items{"$.server.logLevel: expected one of trace, debug, info, warn, error, off"}));
  EXPECT_EQ(errors_of(R"({"server":{"logLevel":"INFO"}})"),
            (Items{"$.server.logLevel: expected one of trace, debug, info, warn, error, off"}));
}

TEST(Config, UnknownFieldsAreErrors) {
  EXPECT_EQ(errors_of(R"({"sever":{},"server":{"worker":2},"plugins":{"dir":"x"}})"),
            (Items{"$.plugins.dir: unknown field", "$.server.worker: unknown field", "$.sever: unknown field"}));
}

TEST(Config, SectionsOwnedByOtherAreasAreAccepted) {
  Config c = parse_ok(R"({"$schema":"x","identity":{"a":1},"audit":{},"rateLimits":{},"consent":{},"redact":{},
      "jobs":{},"tenants":{},"plugins":{"requireSigned":true,"trustedPublishers":["p"]}})");
  EXPECT_EQ(c.raw.at("identity").at("a"), 1);  // kept whole for the areas' own parsers
  EXPECT_EQ(c.raw.size(), 9u);
}

TEST(Config, NotAnObjectOrNotJson) {
  EXPECT_EQ(errors_of("[1]"), (Items{"$: expected an object"}));
  EXPECT_EQ(errors_of("{\n\"server\": {,}\n}"), (Items{"/etc/toolgate/policy.json: invalid JSON at line 2, column 12: syntax error"}));
  JsonErrors errors;
  EXPECT_FALSE(parse_config("{", "", errors));
  EXPECT_EQ(errors.items(), (Items{"policy: invalid JSON at line 1, column 2: incomplete JSON"}));
}

TEST(Config, ToolOverrides) {
  Config c = parse_ok(R"({"tools":{"dns.lookup":{"scope":"dns.admin"},"echo":{}}})");
  ASSERT_EQ(c.tools.size(), 2u);
  EXPECT_EQ(c.tools.at("dns.lookup").scope, "dns.admin");
  EXPECT_EQ(c.tools.at("echo").scope, std::nullopt);
}

TEST(Config, ToolOverrideErrorsNameTheTool) {
  EXPECT_EQ(errors_of(R"({"tools":{"dns.lookup":{"scope":""},"echo":{"scope":1,"timeout":5},"x":"y"}})"),
            (Items{R"($.tools["dns.lookup"].scope: expected a non-empty scope)", "$.tools.echo.scope: expected a string",
                   "$.tools.echo.timeout: unknown field", "$.tools.x: expected an object"}));
  EXPECT_EQ(errors_of(R"({"tools":[]})"), (Items{"$.tools: expected an object"}));
}

TEST(Config, ToolListValues) {
  EXPECT_FALSE(parse_ok(R"({"toolList":"callable"})").list_all_tools);
  EXPECT_TRUE(parse_ok(R"({"toolList":"all"})").list_all_tools);
  EXPECT_EQ(errors_of(R"({"toolList":"some"})"), (Items{R"($.toolList: expected "callable" or "all")"}));
  EXPECT_EQ(errors_of(R"({"toolList":true})"), (Items{"$.toolList: expected a string"}));
}

TEST(Config, PluginPathsResolveAgainstThePolicyFileDirectory) {
  Config c = parse_ok(R"({"plugins":{"directory":"plugins","manifestDirectory":"../share/./manifests"}})");
  EXPECT_EQ(c.server.plugin_dir, "/etc/toolgate/plugins");
  EXPECT_EQ(c.server.manifest_dir, "/etc/share/manifests");
  Config abs = parse_ok(R"({"plugins":{"directory":"/opt/tg/./lib/../plugins"}})");
  EXPECT_EQ(abs.server.plugin_dir, "/opt/tg/plugins");
}

TEST(Config, WithoutAFilePathsResolveAgainstTheWorkingDirectory) {
  Config c = parse_ok(R"({"plugins":{"directory":"p"}})", "");
  EXPECT_EQ(c.base_dir, fs::current_path().string());
  EXPECT_EQ(c.server.plugin_dir, (fs::current_path() / "p").lexically_normal().string());
}

TEST(Config, ResolvePath) {
  EXPECT_EQ(resolve_path("/a/b", ""), "");
  EXPECT_EQ(resolve_path("/a/b", "c"), "/a/b/c");
  EXPECT_EQ(resolve_path("/a/b", "../c"), "/a/c");
  EXPECT_EQ(resolve_path("/a/b", "/x//y/"), "/x/y/");
}

TEST(Config, ErrorsAlreadyInTheListDoNotFailTheParse) {
  JsonErrors errors;
  errors.add("earlier", "problem");
  EXPECT_TRUE(parse_config("{}", kFile, errors));
  EXPECT_EQ(errors.items().size(), 1u);
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("config_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& text) {
    fs::path p = dir_ / "policy.json";
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(ConfigFile, LoadsAndResolvesRelativeToTheFile) {
  std::string path = write(R"({"plugins":{"directory":"plugins"}})");
  JsonErrors errors;
  auto c = load_config(path, errors);
  ASSERT_TRUE(c) << errors.joined();
  EXPECT_EQ(c->file, path);
  EXPECT_EQ(c->server.plugin_dir, (dir_ / "plugins").string());
}

TEST_F(ConfigFile, FieldErrorsArePrefixedWithTheFile) {
  std::string path = write(R"({"server":{"workers":0}})");
  JsonErrors errors;
  EXPECT_FALSE(load_config(path, errors));
  EXPECT_EQ(errors.items(), (Items{path + ": $.server.workers: expected an integer from 1 to 256, got 0"}));
}

TEST_F(ConfigFile, MissingFileNamesThePath) {
  JsonErrors errors;
  std::string path = (dir_ / "absent.json").string();
  EXPECT_FALSE(load_config(path, errors));
  EXPECT_EQ(errors.items(), (Items{path + ": cannot read file: No such file or directory"}));
}

}  // namespace
}  // namespace toolgate
