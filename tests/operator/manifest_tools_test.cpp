// `toolgate manifest lint` and `toolgate manifest hash` as an operator meets them: annotation
// and scope problems reported at their line and column, a missing library named, and a hashed
// manifest that a running toolgate then picks up as a drop-in.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixture.hpp"
#include "operator_support.hpp"

namespace toolgate::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

CommandResult tg(std::vector<std::string> args) {
  args.insert(args.begin(), toolgate_binary());
  return run_command(args);
}

TEST(ManifestTools, LintReportsAnnotationAndScopeProblemsAtTheirLines) {
  TempDir dir;
  write_text(dir.file("m.json"),
             "{\n"
             "  \"manifestVersion\": 1, \"name\": \"p\", \"version\": \"1\", \"library\": \"libp.so\",\n"
             "  \"sha256\": \"" + std::string(64, 'a') + "\", \"abi\": {\"major\": 1},\n"
             "  \"tools\": [\n"
             "    {\"name\": \"wipe\", \"scope\": \"p.write\", \"inputSchema\": {\"type\": \"object\"},\n"
             "     \"annotations\": {\"readOnlyHint\": true, \"destructiveHint\": true},\n"
             "     \"description\": \"Wipes.\"},\n"
             "    {\"name\": \"quiet\", \"scope\": \"p.read\", \"inputSchema\": {\"type\": \"object\"},\n"
             "     \"annotations\": {\"readOnlyHint\": false},\n"
             "     \"description\": \"Changes things.\"}\n"
             "  ]\n}\n");
  auto r = tg({"manifest", "lint", dir.file("m.json")});
  EXPECT_EQ(r.status, 1) << r.out;
  const std::string f = dir.file("m.json");
  EXPECT_NE(r.out.find(f + ":5:31: error: $.tools[0].scope: a readOnlyHint tool cannot require the write scope 'p.write'"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find(f + ":6:21: error: $.tools[0].annotations: a readOnlyHint tool cannot also be destructiveHint"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find(f + ":9:21: error: $.tools[1].annotations: a tool that is not readOnlyHint must state destructiveHint"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 error(s)"), std::string::npos) << r.out;
}

TEST(ManifestTools, HashNamesAMissingLibrary) {
  TempDir dir;
  write_text(dir.file("m.json"), R"({"name": "p", "library": "libgone.so", "sha256": "x"})");
  auto r = tg({"manifest", "hash", dir.file("m.json")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot read library " + dir.file("libgone.so")), std::string::npos) << r.err;
  EXPECT_EQ(read_text(dir.file("m.json")), R"({"name": "p", "library": "libgone.so", "sha256": "x"})");
}

TEST(ManifestTools, AHashedManifestDroppedInIsServed) {
  TempDir dir;
  std::string plugins = dir.file("plugins");
  fs::create_directory(plugins);
  copy_plugin(staged_plugin_dir(), plugins, "echo");
  write_text(dir.file("policy.json"), anonymous_policy(plugins));
  McpProcess::Options o;
  o.args = {"serve", "--config", dir.file("policy.json")};
  McpProcess p(o);
  p.initialize();

  // An author's workflow: build, then write the digest into the manifest, then install.
  std::string staging = dir.file("staging");
  fs::create_directory(staging);
  copy_plugin(fixture_plugin_dir() + "/dropin_v1", staging, "fx_dropin");
  json::object m = json::parse(read_text(staging + "/fx_dropin.json")).as_object();
  m["sha256"] = std::string(64, '0');
  write_text(staging + "/fx_dropin.json", json::serialize(m));
  auto h = tg({"manifest", "hash", staging + "/fx_dropin.json"});
  ASSERT_EQ(h.status, 0) << h.err;
  fs::copy_file(staging + "/libfx_dropin.so", plugins + "/libfx_dropin.so");
  write_atomically(plugins + "/fx_dropin.json", read_text(staging + "/fx_dropin.json"));

  wait_for_notification(p, "notifications/tools/list_changed");
  EXPECT_EQ(first_text(p.call_tool("dropin_version")), "fx_dropin 1.0.0");
}

}  // namespace
}  // namespace toolgate::testing
