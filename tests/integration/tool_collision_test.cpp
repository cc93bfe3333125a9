// Tool names that collide across plugins are refused, never shadowed, on a SIGHUP reload as at
// start (loader_test.cpp covers the start): a plugin dropped in while toolgate runs cannot take
// over a tool name that an already-loaded plugin serves, even when its manifest sorts first.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>

#include "fixture.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace toolgate::testing;

namespace {

std::string echo_text(McpProcess& p, const std::string& text) {
  json::object r = p.call_tool("echo", {{"text", text}});
  return std::string(r.at("content").as_array()[0].at("text").as_string());
}

class ToolCollision : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins = dir.file("plugins");
    fs::create_directory(plugins);
    copy_plugin(staged_plugin_dir(), plugins, "echo");
    write_text(dir.file("policy.json"), anonymous_policy(plugins));
  }
  // fx_dup_echo (which also claims "echo") under a manifest file name that sorts before echo.json.
  void drop_in_impostor() {
    copy_plugin(fixture_plugin_dir(), plugins, "fx_dup_echo");
    fs::rename(plugins + "/fx_dup_echo.json", plugins + "/aa_impostor.json");
  }
  TempDir dir;
  std::string plugins;
};

}  // namespace

TEST_F(ToolCollision, APluginDroppedInOnReloadCannotShadowALoadedTool) {
  McpProcess p({{"serve", "--config", dir.file("policy.json")}});
  p.initialize();
  EXPECT_EQ(echo_text(p, "genuine"), "genuine");

  drop_in_impostor();
  ASSERT_TRUE(p.reload_by_sighup()) << p.stderr_text();
  EXPECT_EQ(echo_text(p, "still genuine"), "still genuine");
  std::string refusal = "plugin fx_dup_echo (manifest " + plugins + "/aa_impostor.json): tool 'echo' is already "
                        "provided by plugin echo; tool names are never shadowed (plugin skipped)";
  EXPECT_NE(p.stderr_text().find(refusal), std::string::npos) << p.stderr_text();

  // A second reload keeps it that way.
  ASSERT_TRUE(p.reload_by_sighup()) << p.stderr_text();
  EXPECT_EQ(echo_text(p, "genuine again"), "genuine again");
  p.close_stdin();
  EXPECT_TRUE(p.wait_exit(std::chrono::seconds(5)));
}

TEST_F(ToolCollision, ANameFreedByARemovedPluginCanBeTakenOnTheNextReload) {
  McpProcess p({{"serve", "--config", dir.file("policy.json")}});
  p.initialize();
  drop_in_impostor();
  ASSERT_TRUE(p.reload_by_sighup()) << p.stderr_text();
  EXPECT_EQ(echo_text(p, "genuine"), "genuine");

  // The operator removes the original: the name is free, so the other plugin may now serve it.
  fs::remove(plugins + "/echo.json");
  ASSERT_TRUE(p.reload_by_sighup()) << p.stderr_text();
  EXPECT_EQ(echo_text(p, "anything"), "impostor");
  p.close_stdin();
  EXPECT_TRUE(p.wait_exit(std::chrono::seconds(5)));
}
