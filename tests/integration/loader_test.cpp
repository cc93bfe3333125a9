// Every way a plugin can be broken: it is skipped with one clear stderr line naming the plugin,
// the file and the reason, the healthy plugins still load, and the server starts.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "fixture.hpp"
#include "results.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace toolgate::testing;

namespace {

struct Loaded {
  std::set<std::string> tools;
  std::string stderr_text;
};

// Starts toolgate on `dir`, lists tools, stops it.
Loaded start_on(const std::string& dir) {
  TempDir cfg;
  write_text(cfg.file("policy.json"), anonymous_policy(dir));
  McpProcess p({{"serve", "--config", cfg.file("policy.json")}});
  p.initialize();
  Loaded out;
  json::value r = p.request("tools/list");
  for (const auto& t : r.as_object().at("result").as_object().at("tools").as_array())
    out.tools.insert(std::string(t.as_object().at("name").as_string()));
  p.close_stdin();
  p.wait_exit(std::chrono::seconds(5));
  out.stderr_text = p.stderr_text();
  return out;
}

json::object manifest_of(const std::string& path) { return json::parse(read_text(path)).as_object(); }
void save(const std::string& path, const json::object& m) { write_text(path, json::serialize(m)); }

class Loader : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins = dir.file("plugins");
    fs::create_directory(plugins);
    copy_plugin(staged_plugin_dir(), plugins, "echo");
  }
  void expect_skipped(const std::string& needle) {
    Loaded l = start_on(plugins);
    EXPECT_EQ(l.tools, std::set<std::string>{"echo"}) << l.stderr_text;
    EXPECT_NE(l.stderr_text.find(needle), std::string::npos) << "stderr was:\n" << l.stderr_text;
    EXPECT_NE(l.stderr_text.find("(plugin skipped)"), std::string::npos);
  }
  TempDir dir;
  std::string plugins;
};

}  // namespace

TEST_F(Loader, HealthyDirectoryLoads) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_behaviours");
  Loaded l = start_on(plugins);
  EXPECT_TRUE(l.tools.count("echo"));
  EXPECT_TRUE(l.tools.count("whoami"));
  EXPECT_NE(l.stderr_text.find("serving 2 plugin(s)"), std::string::npos) << l.stderr_text;
}

TEST_F(Loader, MalformedManifest) {
  write_text(plugins + "/broken.json", "{\"name\": \"broken\", ");
  expect_skipped("broken.json: $: invalid JSON at line 1");
}

TEST_F(Loader, ManifestMissingFieldsNamesThePaths) {
  write_text(plugins + "/partial.json", R"({"manifestVersion":1,"name":"partial","tools":[{"name":"x"}],"extra":1})");
  Loaded l = start_on(plugins);
  for (const char* needle : {"$.version: is required", "$.library: is required", "$.tools[0].inputSchema: is required",
                             "$.extra: unknown field"})
    EXPECT_NE(l.stderr_text.find(needle), std::string::npos) << needle << "\n" << l.stderr_text;
}

TEST_F(Loader, MissingLibrary) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_behaviours");
  fs::remove(plugins + "/libfx_behaviours.so");
  expect_skipped("cannot open library " + plugins + "/libfx_behaviours.so: No such file or directory");
}

TEST_F(Loader, HashMismatch) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_behaviours");
  json::object m = manifest_of(plugins + "/fx_behaviours.json");
  m["sha256"] = std::string(64, 'a');
  save(plugins + "/fx_behaviours.json", m);
  expect_skipped("does not match the manifest: sha256 is ");
}

TEST_F(Loader, PlaceholderHashSaysWhichManifestToInstall) {
  // The source manifest (sha256 of 64 zeros) copied instead of the one the build filled in.
  copy_plugin(fixture_plugin_dir(), plugins, "fx_behaviours");
  json::object m = manifest_of(plugins + "/fx_behaviours.json");
  m["sha256"] = std::string(64, '0');
  save(plugins + "/fx_behaviours.json", m);
  expect_skipped("the manifest's sha256 is still the placeholder (64 zeros): install the manifest the build wrote "
                 "next to the library (toolgate_add_plugin fills it in), or run `toolgate manifest hash " +
                 plugins + "/fx_behaviours.json --library " + plugins + "/libfx_behaviours.so`");
}

TEST_F(Loader, CorruptLibraryWithMatchingHash) {
  write_text(plugins + "/libgarbage.so", "this is not an ELF file at all");
  // Compute the digest with the same tool an operator would use.
  std::string cmd = "sha256sum " + plugins + "/libgarbage.so | cut -d' ' -f1 > " + plugins + "/.digest";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string sha = read_text(plugins + "/.digest").substr(0, 64);
  json::object m = manifest_of(fixture_plugin_dir() + "/fx_raw.json");
  m["library"] = "libgarbage.so";
  m["sha256"] = sha;
  save(plugins + "/garbage.json", m);
  expect_skipped("cannot load " + plugins + "/libgarbage.so");
}

TEST_F(Loader, AbiMismatchNamesFileSymbolAndBothVersions) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_abi_mismatch");
  expect_skipped(plugins + "/libfx_abi_mismatch.so: symbol tg_plugin_entry reports plugin ABI 2.0, but this host speaks ABI 1.0");
}

TEST_F(Loader, MissingEntrySymbol) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_no_entry");
  expect_skipped(plugins + "/libfx_no_entry.so does not export the entry symbol tg_plugin_entry");
}

TEST_F(Loader, InitFailure) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_init_fails");
  expect_skipped("plugin fx_init_fails (manifest " + plugins + "/fx_init_fails.json): init failed: database fx.db is unreachable");
}

TEST_F(Loader, AnEntryPointThatThrowsSkipsOnlyThatPlugin) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_entry_throws");
  copy_plugin(fixture_plugin_dir(), plugins, "fx_raw");
  Loaded l = start_on(plugins);
  EXPECT_EQ(l.tools.count("echo"), 1u) << l.stderr_text;
  EXPECT_EQ(l.tools.count("never_listed"), 0u) << l.stderr_text;
  EXPECT_GT(l.tools.size(), 1u) << "fx_raw was not loaded beside it:\n" << l.stderr_text;
  EXPECT_NE(l.stderr_text.find("plugin fx_entry_throws (manifest " + plugins + "/fx_entry_throws.json): " + plugins +
                               "/libfx_entry_throws.so: tg_plugin_entry threw: cannot find my data file (plugin skipped)"),
            std::string::npos)
      << l.stderr_text;
}

TEST_F(Loader, AManifestThatIsAFifoOrADeviceIsRefusedWithoutHanging) {
  // Someone able to write to the plugin directory must get no more than a refusal: the read
  // happens before any signature check.
  ASSERT_EQ(::mkfifo((plugins + "/stuck.json").c_str(), 0600), 0);
  std::filesystem::create_symlink("/dev/zero", plugins + "/endless.json");
  Loaded l = start_on(plugins);
  EXPECT_EQ(l.tools, std::set<std::string>{"echo"}) << l.stderr_text;
  EXPECT_NE(l.stderr_text.find(plugins + "/stuck.json: cannot read file: not a regular file"), std::string::npos)
      << l.stderr_text;
  EXPECT_NE(l.stderr_text.find(plugins + "/endless.json: cannot read file: not a regular file"), std::string::npos)
      << l.stderr_text;
}

TEST_F(Loader, ALibraryThatIsADeviceIsRefused) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_raw");
  std::filesystem::remove(plugins + "/libfx_raw.so");
  std::filesystem::create_symlink("/dev/zero", plugins + "/libfx_raw.so");
  expect_skipped("cannot open library " + plugins + "/libfx_raw.so: not a regular file");
}

TEST_F(Loader, APluginThatCrashesTheProcessIsNamedOnStderr) {
  // In-process plugins cannot be survived, but the operator learns which tool it was.
  copy_plugin(fixture_plugin_dir(), plugins, "fx_crash");
  write_text(dir.file("policy.json"), anonymous_policy(plugins));
  for (const std::string how : {"segv", "abort", "exit", "overflow"}) {
    McpProcess p({{"serve", "--config", dir.file("policy.json")}});
    p.initialize();
    p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
                             {"params", {{"name", "crash"}, {"arguments", {{"how", how}}}}}});
    p.wait_exit(std::chrono::seconds(10));
    std::string expected = how == "exit" ? "toolgate: plugin fx_crash called exit() while it ran crash"
                                         : std::string("toolgate: fatal ") + (how == "abort" ? "SIGABRT" : "SIGSEGV") +
                                               " while plugin fx_crash ran crash";
    EXPECT_NE(p.stderr_text().find(expected), std::string::npos) << how << ":\n" << p.stderr_text();
  }
}

TEST_F(Loader, AnInitThatDoesNotReturnIsNamedOnStderr) {
  // Start-up waits for every init; the operator must learn which plugin it is waiting for.
  copy_plugin(fixture_plugin_dir(), plugins, "fx_slow_init");
  std::string fifo = dir.file("init.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  write_text(dir.file("policy.json"),
             "{\"plugins\":{\"directory\":\"" + plugins + "\",\"config\":{\"fx_slow_init\":{\"fifo\":\"" + fifo +
                 "\"}}},\"identity\":{\"anonymous\":{\"tenant\":\"t\",\"scopes\":[\"*\"]}}}");
  McpProcess p({{"serve", "--config", dir.file("policy.json")}});
  EXPECT_TRUE(p.await_stderr("plugin fx_slow_init (manifest " + plugins +
                             "/fx_slow_init.json): init has been running for 5 s and has not returned"))
      << p.stderr_text();
  int writer = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // lets the init finish
  ASSERT_GE(writer, 0);
  ::close(writer);
  p.initialize();
  EXPECT_EQ(text_of(p.call_tool("slow_ready")), "ready");
}

TEST_F(Loader, AnInitThatDoesNotReturnIsGivenUpOnAfterTheTimeout) {
  // The rest of the plugins serve; the stuck plugin is not retried while its init still runs,
  // and loads on the next reload once it has returned.
  copy_plugin(fixture_plugin_dir(), plugins, "fx_slow_init");
  std::string fifo = dir.file("init.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  write_text(dir.file("policy.json"),
             "{\"plugins\":{\"directory\":\"" + plugins + "\",\"watch\":false,\"initTimeoutMs\":300,"
             "\"config\":{\"fx_slow_init\":{\"fifo\":\"" + fifo + "\"}}},"
             "\"identity\":{\"anonymous\":{\"tenant\":\"t\",\"scopes\":[\"*\"]}}}");
  McpProcess p({{"serve", "--config", dir.file("policy.json")}});
  p.initialize();
  EXPECT_EQ(text_of(p.call_tool("echo", {{"text", "up"}})), "up");
  EXPECT_NE(p.stderr_text().find("plugin fx_slow_init (manifest " + plugins +
                                 "/fx_slow_init.json): init did not return within 300 ms (plugins.initTimeoutMs)"),
            std::string::npos)
      << p.stderr_text();
  json::value listed = p.request("tools/list");
  EXPECT_EQ(json::serialize(listed).find("slow_ready"), std::string::npos) << json::serialize(listed);

  ASSERT_TRUE(p.reload_by_sighup()) << p.stderr_text();  // still stuck: refused at once, no second init
  EXPECT_TRUE(p.await_stderr("from an earlier load that was given up on has still not returned")) << p.stderr_text();

  int writer = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // lets the abandoned init return
  ASSERT_GE(writer, 0);
  ::close(writer);
  ASSERT_TRUE(p.await_stderr("init returned after loading had given up on it; shutting the plugin down and unloading it"))
      << p.stderr_text();
  ASSERT_EQ(::unlink(fifo.c_str()), 0);
  write_text(fifo, "");  // the next init reads an empty file and returns at once
  ASSERT_TRUE(p.reload_by_sighup()) << p.stderr_text();
  EXPECT_EQ(text_of(p.call_tool("slow_ready")), "ready") << p.stderr_text();
}

TEST_F(Loader, LibraryToolsDifferFromManifest) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_raw");
  json::object m = manifest_of(plugins + "/fx_raw.json");
  json::object extra = m["tools"].as_array()[0].as_object();
  extra["name"] = "phantom";
  m["tools"].as_array().push_back(extra);
  save(plugins + "/fx_raw.json", m);
  expect_skipped("differ from the manifest: in manifest but not library: phantom; in library but not manifest: (none)");
}

TEST_F(Loader, DuplicateToolNameIsRefusedNotShadowed) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_dup_echo");
  expect_skipped("plugin fx_dup_echo (manifest " + plugins + "/fx_dup_echo.json): tool 'echo' is already provided by plugin echo");
  // And echo is still the real one.
  TempDir cfg;
  write_text(cfg.file("policy.json"), anonymous_policy(plugins));
  McpProcess p({{"serve", "--config", cfg.file("policy.json")}});
  p.initialize();
  json::object r = p.call_tool("echo", {{"text", "genuine"}});
  EXPECT_EQ(r.at("content").as_array()[0].as_object().at("text"), "genuine");
}

TEST_F(Loader, DishonestAnnotationsAreRefused) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_raw");
  json::object m = manifest_of(plugins + "/fx_raw.json");
  m["tools"].as_array()[0].as_object()["annotations"] = json::object{{"readOnlyHint", true}, {"destructiveHint", true}};
  save(plugins + "/fx_raw.json", m);
  expect_skipped("$.tools[0].annotations: a readOnlyHint tool cannot also be destructiveHint");
}

TEST_F(Loader, ManifestNamingAPathOutsideTheDirectoryIsRefused) {
  copy_plugin(fixture_plugin_dir(), plugins, "fx_raw");
  json::object m = manifest_of(plugins + "/fx_raw.json");
  m["library"] = "../../etc/passwd";
  save(plugins + "/fx_raw.json", m);
  expect_skipped("$.library: expected a plain file name inside the plugin directory");
}
