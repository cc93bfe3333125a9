// A plugin author's path, for real: `cmake --install` this build into a temporary prefix, run
// the installed toolgate-new-plugin, configure, build and ctest the scaffolded project against
// the installed SDK only (find_package(ToolgateSDK) from that prefix), then load and call the
// plugin through the installed toolgate over pipes. Also shows that the scaffold's own test
// fails when its plugin does not load, and that the scaffold refuses bad input.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "mcp_process.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace toolgate::testing;

namespace {

struct Command {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output in a file (never a pipe we could deadlock on).
Command run(const std::string& command, const std::string& log) {
  Command r;
  int rc = std::system(("(" + command + ") >'" + log + "' 2>&1").c_str());
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.output = read_text(log);
  return r;
}

std::string q(const std::string& s) { return "'" + s + "'"; }

class OutOfTree : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    prefix_ = dir_->file("prefix");
    Command install = run(std::string(TOOLGATE_CMAKE) + " --install " + q(TOOLGATE_BUILD_DIR) + " --prefix " + q(prefix_),
                      dir_->file("install.log"));
    ASSERT_EQ(install.status, 0) << install.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string scaffold() { return prefix_ + "/bin/toolgate-new-plugin"; }

  static TempDir* dir_;
  static std::string prefix_;
};
TempDir* OutOfTree::dir_ = nullptr;
std::string OutOfTree::prefix_;

TEST_F(OutOfTree, ScaffoldedPluginBuildsTestsAndRunsAgainstTheInstalledSdk) {
  ASSERT_TRUE(fs::is_regular_file(scaffold())) << "cmake --install did not install toolgate-new-plugin";
  const std::string src = dir_->file("src/hello_oot"), build = dir_->file("build-hello");
  Command made = run(q(scaffold()) + " hello_oot " + q(src), dir_->file("scaffold.log"));
  ASSERT_EQ(made.status, 0) << made.output;
  for (const char* f : {"CMakeLists.txt", "hello_oot.cpp", "hello_oot.json", "README.md"})
    EXPECT_TRUE(fs::is_regular_file(src + "/" + f)) << f;

  // Only the temporary prefix is searched: the SDK must come from the install, not this tree.
  Command configure = run(std::string(TOOLGATE_CMAKE) + " -S " + q(src) + " -B " + q(build) + " -DCMAKE_PREFIX_PATH=" +
                          q(prefix_) + " -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF",
                      dir_->file("configure.log"));
  ASSERT_EQ(configure.status, 0) << configure.output;
  std::string cache = read_text(build + "/CMakeCache.txt");
  EXPECT_NE(cache.find("ToolgateSDK_DIR:PATH=" + prefix_ + "/lib/cmake/ToolgateSDK"), std::string::npos);
  Command compiled = run(std::string(TOOLGATE_CMAKE) + " --build " + q(build), dir_->file("build.log"));
  ASSERT_EQ(compiled.status, 0) << compiled.output;
  ASSERT_TRUE(fs::is_regular_file(build + "/plugins/libhello_oot.so"));
  json::object manifest = json::parse(read_text(build + "/plugins/hello_oot.json")).as_object();
  EXPECT_NE(manifest.at("sha256"), "0000000000000000000000000000000000000000000000000000000000000000");

  // The scaffold's own test: the installed toolgate lists and calls the tool.
  Command tested = run(std::string(TOOLGATE_CTEST) + " --test-dir " + q(build) + " --output-on-failure -V",
                   dir_->file("ctest.log"));
  ASSERT_EQ(tested.status, 0) << tested.output;
  EXPECT_NE(tested.output.find("hello_oot_greet: listed and called through " + prefix_ + "/bin/toolgate"),
            std::string::npos)
      << tested.output;
  EXPECT_NE(tested.output.find("100% tests passed, 0 tests failed out of 1"), std::string::npos) << tested.output;

  // EXPECT matches the text as the tool wrote it, quotes and non-ASCII included; ARGUMENTS that
  // are not a JSON object stop the configure step, naming the test.
  const std::string cmakelists = read_text(src + "/CMakeLists.txt");
  write_text(src + "/CMakeLists.txt",
             cmakelists + "toolgate_add_plugin_test(hello_oot TOOL hello_oot_greet NAME quoted ARGUMENTS "
                          "[[{\"name\": \"Zo\xc3\xab \\\"Q\\\"\"}]] EXPECT [[hello, Zo\xc3\xab \"Q\"]] SCOPES hello_oot.read)\n");
  Command quoted = run(std::string(TOOLGATE_CMAKE) + " " + q(build) + " && " + TOOLGATE_CTEST + " --test-dir " + q(build) +
                           " -R quoted --output-on-failure",
                       dir_->file("ctest-quoted.log"));
  EXPECT_EQ(quoted.status, 0) << quoted.output;
  write_text(src + "/CMakeLists.txt", cmakelists + "toolgate_add_plugin_test(hello_oot TOOL hello_oot_greet NAME bad_args "
                                                   "ARGUMENTS [[{\"name\": \"x\"]])\n");
  Command bad_args = run(std::string(TOOLGATE_CMAKE) + " " + q(build), dir_->file("configure-bad.log"));
  EXPECT_NE(bad_args.status, 0);
  EXPECT_NE(bad_args.output.find("bad_args: ARGUMENTS must be a JSON"),
            std::string::npos)
      << bad_args.output;
  write_text(src + "/CMakeLists.txt", cmakelists);
  ASSERT_EQ(run(std::string(TOOLGATE_CMAKE) + " " + q(build), dir_->file("configure-again.log")).status, 0);

  // An operator's install: the plugin beside an installed bundled one, served by the installed
  // toolgate, called by a client over pipes.
  const std::string plugins = dir_->file("plugins");
  fs::create_directory(plugins);
  copy_plugin(build + "/plugins", plugins, "hello_oot");
  copy_plugin(prefix_ + "/lib/toolgate/plugins", plugins, "echo");
  const std::string policy = dir_->file("policy.json");
  write_text(policy, json::serialize(json::object{
                         {"plugins", {{"directory", plugins}}},
                         {"identity", {{"anonymous", {{"tenant", "oot"}, {"scopes", json::array{"hello_oot.read", "echo.read"}}}}}}}));
  McpProcess tg(McpProcess::Options{{"serve", "--config", policy}, {}, false, prefix_ + "/bin/toolgate"});
  tg.initialize();
  json::value listed = tg.request("tools/list");
  std::vector<std::string> names;
  for (const auto& t : listed.at("result").at("tools").as_array()) names.emplace_back(t.at("name").as_string());
  EXPECT_EQ(names, (std::vector<std::string>{"echo", "hello_oot_greet"})) << tg.stderr_text();
  json::object r = tg.call_tool("hello_oot_greet", {{"name", "operator"}});
  EXPECT_FALSE(r.contains("isError")) << json::serialize(r);
  EXPECT_EQ(r.at("structuredContent"), (json::object{{"greeting", "hello, operator"}, {"tenant", "oot"}}));
  EXPECT_EQ(r.at("content").at(0).at("text"), "hello, operator (tenant oot)");
  // Input validation comes from the scaffolded manifest.
  json::object bad = tg.call_tool("hello_oot_greet", {{"name", 42}});
  EXPECT_TRUE(bad.contains("isError")) << json::serialize(bad);

  // The scaffold's test is a real test: a library that no longer matches its manifest's sha256
  // is not loaded, and the test says the tool is missing.
  {
    std::ofstream lib(build + "/plugins/libhello_oot.so", std::ios::app | std::ios::binary);
    lib << '\0';
  }
  Command broken = run(std::string(TOOLGATE_CTEST) + " --test-dir " + q(build) + " --output-on-failure",
                   dir_->file("ctest-broken.log"));
  EXPECT_NE(broken.status, 0) << broken.output;
  EXPECT_NE(broken.output.find("tools/list does not show hello_oot_greet"), std::string::npos) << broken.output;
  EXPECT_NE(broken.output.find("sha256"), std::string::npos) << broken.output;  // toolgate's stderr says why
}

TEST_F(OutOfTree, ScaffoldRefusesBadNamesAndNonEmptyDirectories) {
  Command bad = run(q(scaffold()) + " Bad-Name " + q(dir_->file("bad")), dir_->file("bad.log"));
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("'Bad-Name' is not a usable plugin name"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(dir_->file("bad")));

  fs::create_directories(dir_->file("taken"));
  write_text(dir_->file("taken/keep.txt"), "mine");
  Command taken = run(q(scaffold()) + " fine " + q(dir_->file("taken")), dir_->file("taken.log"));
  EXPECT_EQ(taken.status, 1);
  EXPECT_NE(taken.output.find("already exists and is not empty"), std::string::npos) << taken.output;
  EXPECT_EQ(read_text(dir_->file("taken/keep.txt")), "mine");

  Command usage = run(q(scaffold()), dir_->file("usage.log"));
  EXPECT_EQ(usage.status, 2);
  EXPECT_NE(usage.output.find("usage: toolgate-new-plugin NAME [DIR]"), std::string::npos) << usage.output;
}

}  // namespace
