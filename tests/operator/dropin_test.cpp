// Drop-in plugins through the real binary: a plugin copied into the plugin directory of a
// running toolgate is loaded and announced with notifications/tools/list_changed; a replaced or
// removed one keeps serving its calls in flight and unloads after them; a half-copied library
// is refused until complete; collisions are refused. Every wait is on an event: a notification
// on stdout, a line on stderr (inotify), or a FIFO the fixture tool opens.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <csignal>
#include <functional>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "fixture.hpp"
#include "operator_support.hpp"

namespace toolgate::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::string dropin_dir(int major) { return fixture_plugin_dir() + "/dropin_v" + std::to_string(major); }

// Copies fx_dropin the way an operator should: library first, manifest last (atomically).
void drop_in(int major, const std::string& plugins) {
  fs::copy_file(dropin_dir(major) + "/libfx_dropin.so", plugins + "/libfx_dropin.so",
                fs::copy_options::overwrite_existing);
  write_atomically(plugins + "/fx_dropin.json", read_text(dropin_dir(major) + "/fx_dropin.json"));
}

// The library rewritten in place (same inode, as `cp` over an existing file does), then the
// manifest. The running 1.0.0 must not notice: it runs from its own sealed copy.
void replace_in_place(int major, const std::string& plugins) {
  {
    std::ofstream lib(plugins + "/libfx_dropin.so", std::ios::binary | std::ios::trunc);
    lib << read_text(dropin_dir(major) + "/libfx_dropin.so");
  }
  write_atomically(plugins + "/fx_dropin.json", read_text(dropin_dir(major) + "/fx_dropin.json"));
}

class DropIn : public ::testing::Test {
 protected:
  void start(const std::string& extra_policy = "") {
    plugins_ = dir_.file("plugins");
    fs::create_directory(plugins_);
    copy_plugin(staged_plugin_dir(), plugins_, "echo");
    for (const auto& f : preload_) f(plugins_);
    std::string policy = anonymous_policy(plugins_, extra_policy);
    if (!watch_) {
      std::string dir_field = "\"directory\":\"" + plugins_ + "\"";
      policy.replace(policy.find(dir_field), dir_field.size(), dir_field + ",\"watch\":false");
    }
    write_text(dir_.file("policy.json"), policy);
    McpProcess::Options o;
    o.args = {"serve", "--config", dir_.file("policy.json")};
    p_ = std::make_unique<McpProcess>(o);
  }
  TempDir dir_;
  bool watch_ = true;
  std::string plugins_;
  std::vector<std::function<void(const std::string&)>> preload_;
  std::unique_ptr<McpProcess> p_;
};

TEST_F(DropIn, APluginCopiedInIsLoadedAndTheClientIsTold) {
  start();
  p_->initialize();
  ASSERT_FALSE(has(tool_names(*p_), "dropin_version"));
  drop_in(1, plugins_);
  wait_for_notification(*p_, "notifications/tools/list_changed");
  auto names = tool_names(*p_);
  EXPECT_TRUE(has(names, "dropin_version"));
  EXPECT_TRUE(has(names, "echo"));
  EXPECT_EQ(first_text(p_->call_tool("dropin_version")), "fx_dropin 1.0.0");
  // The notification leaves before the log line is written, so wait for the line.
  wait_for_stderr(*p_, "plugin directory changed: loaded plugin fx_dropin 1.0.0 (2 tools)");
  // Unchanged plugins are kept as they are, not reloaded.
  std::string err = p_->stderr_text();
  EXPECT_EQ(err.find("loaded plugin echo"), std::string::npos) << err;
  EXPECT_EQ(err.find("plugin echo 1.0.0 unloaded"), std::string::npos) << err;
}

TEST_F(DropIn, NoNotificationBeforeTheClientFinishedInitializing) {
  start();
  p_->request("initialize", json::object{{"protocolVersion", "2025-06-18"},
                                         {"capabilities", json::object()},
                                         {"clientInfo", json::object{{"name", "t"}, {"version", "1"}}}});
  drop_in(1, plugins_);
  wait_for_stderr(*p_, "loaded plugin fx_dropin 1.0.0");
  p_->request("ping");  // anything written before this response has been read by now
  EXPECT_FALSE(saw_notification(*p_, "notifications/tools/list_changed"));
  p_->notify("notifications/initialized");
  EXPECT_TRUE(has(tool_names(*p_), "dropin_version"));
}

TEST_F(DropIn, AHalfCopiedLibraryIsNotLoadedUntilComplete) {
  start();
  p_->initialize();
  std::string bytes = read_text(dropin_dir(1) + "/libfx_dropin.so");
  std::ofstream lib(plugins_ + "/libfx_dropin.so", std::ios::binary | std::ios::trunc);
  lib.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  lib.flush();
  write_atomically(plugins_ + "/fx_dropin.json", read_text(dropin_dir(1) + "/fx_dropin.json"));

  wait_for_stderr(*p_, "does not match the manifest");
  EXPECT_FALSE(has(tool_names(*p_), "dropin_version"));
  EXPECT_FALSE(saw_notification(*p_, "notifications/tools/list_changed"));

  lib.write(bytes.data() + bytes.size() / 2, static_cast<std::streamsize>(bytes.size() - bytes.size() / 2));
  lib.close();
  wait_for_notification(*p_, "notifications/tools/list_changed");
  EXPECT_EQ(first_text(p_->call_tool("dropin_version")), "fx_dropin 1.0.0");
}

TEST_F(DropIn, AReplacedPluginFinishesItsCallsInFlightThenUnloads) {
  preload_.push_back([](const std::string& dir) { drop_in(1, dir); });
  start();
  p_->initialize();
  std::string fifo = dir_.file("hold.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  p_->send_json(json::object{{"jsonrpc", "2.0"}, {"id", "held"}, {"method", "tools/call"},
                             {"params", json::object{{"name", "dropin_hold"}, {"arguments", json::object{{"fifo", fifo}}}}}});
  int writer = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // returns once the 1.0.0 call is running
  ASSERT_GE(writer, 0);

  replace_in_place(2, plugins_);
  wait_for_notification(*p_, "notifications/tools/list_changed");
  auto names = tool_names(*p_);
  EXPECT_TRUE(has(names, "dropin_new"));
  EXPECT_EQ(first_text(p_->call_tool("dropin_version")), "fx_dropin 2.0.0");
  EXPECT_EQ(p_->stderr_text().find("plugin fx_dropin 1.0.0 unloaded"), std::string::npos)
      << "1.0.0 unloaded while its call was still running:\n" << p_->stderr_text();

  ASSERT_EQ(::write(writer, "go", 2), 2);
  ::close(writer);
  json::value held = p_->await_response("held");
  EXPECT_EQ(first_text(held.at("result").as_object()), "fx_dropin 1.0.0 released: go") << json::serialize(held);
  wait_for_stderr(*p_, "plugin fx_dropin 1.0.0 unloaded");
  EXPECT_EQ(first_text(p_->call_tool("dropin_version")), "fx_dropin 2.0.0");
}

TEST_F(DropIn, EachReplacementRunsItsOwnCodeEvenWhenTheOldCannotBeUnloaded) {
  // fx_dropin holds a thread_local with a destructor, so no replaced version is ever unmapped.
  // The loader knows each by the /proc/self/fd/N path it was loaded from; a new copy that got a
  // freed N must not be handed the old code (nor refused for "reporting" the old version).
  preload_.push_back([](const std::string& dir) { drop_in(1, dir); });
  start();
  p_->initialize();
  EXPECT_EQ(first_text(p_->call_tool("dropin_version")), "fx_dropin 1.0.0");
  std::map<int, std::size_t> loads;
  for (int major : {2, 3, 1, 2, 3, 1}) {
    drop_in(major, plugins_);
    std::string version = std::to_string(major) + ".0.0";
    ASSERT_TRUE(p_->await_stderr("plugin directory changed: loaded plugin fx_dropin " + version, ++loads[major]))
        << p_->stderr_text();
    EXPECT_EQ(first_text(p_->call_tool("dropin_version")), "fx_dropin " + version) << p_->stderr_text();
  }
  EXPECT_EQ(p_->stderr_text().find("reports version"), std::string::npos) << p_->stderr_text();
}

TEST_F(DropIn, ARemovedPluginLeavesTheToolList) {
  preload_.push_back([](const std::string& dir) { drop_in(1, dir); });
  start();
  p_->initialize();
  ASSERT_TRUE(has(tool_names(*p_), "dropin_version"));
  fs::remove(plugins_ + "/fx_dropin.json");
  wait_for_notification(*p_, "notifications/tools/list_changed");
  EXPECT_FALSE(has(tool_names(*p_), "dropin_version"));
  wait_for_stderr(*p_, "plugin fx_dropin 1.0.0 unloaded");
  json::value r = p_->request("tools/call", json::object{{"name", "dropin_version"}, {"arguments", json::object()}});
  EXPECT_NE(json::serialize(r).find("dropin_version"), std::string::npos) << json::serialize(r);
  EXPECT_TRUE(r.as_object().contains("error") || r.at("result").at("isError").as_bool()) << json::serialize(r);
}

TEST_F(DropIn, APluginWhoseToolNameIsTakenIsRefusedNotShadowing) {
  start();
  p_->initialize();
  copy_plugin(fixture_plugin_dir(), plugins_, "fx_dup_echo");
  wait_for_stderr(*p_, "tool 'echo' is already provided by plugin echo");
  EXPECT_EQ(first_text(p_->call_tool("echo", json::object{{"text", "hi"}})), "hi");
  EXPECT_FALSE(saw_notification(*p_, "notifications/tools/list_changed"));
}

TEST_F(DropIn, WithWatchOffOnlySighupReloads) {
  watch_ = false;
  start();
  p_->initialize();
  wait_for_stderr(*p_, "plugins.watch is false");
  p_->request("ping");  // answered after notifications/initialized is handled: list_changed may go out
  drop_in(1, plugins_);
  p_->signal(SIGHUP);
  wait_for_notification(*p_, "notifications/tools/list_changed");
  EXPECT_TRUE(has(tool_names(*p_), "dropin_version"));
  wait_for_stderr(*p_, "SIGHUP: loaded plugin fx_dropin 1.0.0");
  std::string err = p_->stderr_text();
  EXPECT_EQ(err.find("plugin directory changed"), std::string::npos) << err;
}

}  // namespace
}  // namespace toolgate::testing
