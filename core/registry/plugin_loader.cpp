#include "registry/plugin_loader.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

#include <spdlog/spdlog.h>

#include "registry/crash_report.hpp"

namespace toolgate {

namespace {
// Logs once, after kInitWarnAfter, that a plugin's init is still running, until destroyed.
class InitWatch {
 public:
  static constexpr std::chrono::seconds kInitWarnAfter{5};
  InitWatch(const std::string& who, std::chrono::milliseconds timeout) : state_(std::make_shared<State>()) {
    if (timeout > std::chrono::milliseconds::zero() && timeout <= kInitWarnAfter) return;  // ends before it
    std::string until = timeout > std::chrono::milliseconds::zero()
                            ? "until it returns or for up to " + std::to_string(timeout.count()) +
                                  " ms in all (plugins.initTimeoutMs)"
                            : "for as long as it runs (plugins.initTimeoutMs is 0)";
    auto state = state_;
    try {
      std::thread([state, who, until] {
        std::unique_lock lock(state->mu);
        if (!state->cv.wait_for(lock, kInitWarnAfter, [&] { return state->done; }))
          spdlog::warn("{}: init has been running for {} s and has not returned; plugin loading (start-up, the "
                       "plugin directory watch, SIGHUP) waits for it {}",
                       who, kInitWarnAfter.count(), until);
      }).detach();
    } catch (const std::system_error&) {
      // No thread to be had: no warning either.
    }
  }
  ~InitWatch() {
    {
      std::lock_guard lock(state_->mu);
      state_->done = true;
    }
    state_->cv.notify_all();
  }
  InitWatch(const InitWatch&) = delete;
  InitWatch& operator=(const InitWatch&) = delete;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  std::shared_ptr<State> state_;
};

// One run of a plugin's init, shared by the thread that runs it and the loader that waits for it.
struct InitRun {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool abandoned = false;  // the loader stopped waiting: the init thread cleans up after itself
  int rc = 0;
  std::string thrown;      // "init threw ...", if it did
  char error[512] = {0};
  void* state = nullptr;
  // Held here once the loader gives up, so the code still running stays mapped.
  boost::dll::shared_library lib;
  std::unique_ptr<LibraryImage> image;
};

// Libraries (by sha256) whose init was given up on and has not returned yet.
std::mutex g_abandoned_mu;
std::set<std::string> g_abandoned;

bool init_still_running(const std::string& sha256) {
  std::lock_guard lock(g_abandoned_mu);
  return g_abandoned.count(sha256) != 0;
}
}  // namespace

bool plugin_init_still_running() {
  std::lock_guard lock(g_abandoned_mu);
  return !g_abandoned.empty();
}

namespace {

void run_init(const std::shared_ptr<InitRun>& run, const tg_plugin_info* info, const tg_host_api* host,
              const std::string& plugin, const std::string& config, const std::string& sha256,
              const std::string& who) {
  int rc = 0;
  std::string thrown;
  char error[sizeof run->error] = {0};
  void* state = nullptr;
  {
    RunningTool mark(plugin.c_str(), "its init");
    try {
      rc = info->init(host, config.data(), config.size(), &state, error, sizeof error);
    } catch (const std::exception& e) {
      thrown = std::string("init threw: ") + e.what();
    } catch (...) {
      thrown = "init threw an exception";
    }
  }
  bool abandoned = false;
  {
    std::lock_guard lock(run->mu);
    run->rc = rc;
    run->thrown = thrown;
    std::memcpy(run->error, error, sizeof error);
    run->error[sizeof run->error - 1] = 0;
    run->state = state;
    run->done = true;
    abandoned = run->abandoned;
  }
  run->cv.notify_all();
  if (!abandoned) return;
  // Nobody waits any more: undo what the init set up, then let the library go.
  bool started = thrown.empty() && rc == 0;
  spdlog::warn("{}: init returned after loading had given up on it; {}", who,
               started ? "shutting the plugin down and unloading it" : "unloading it (the init failed)");
  if (started && info->shutdown) {
    try {
      info->shutdown(state);
    } catch (...) {
      spdlog::error("{}: shutdown threw after a late init", who);
    }
  }
  run->lib.unload();
  run->image.reset();
  std::lock_guard lock(g_abandoned_mu);
  g_abandoned.erase(sha256);
}
}  // namespace

namespace fs = std::filesystem;

namespace {

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

}  // namespace

LoadedPlugin::LoadedPlugin(PluginManifest manifest, std::string library_path, std::unique_ptr<LibraryImage> image,
                           boost::dll::shared_library lib, const tg_plugin_info* info, void* state)
    : manifest_(std::move(manifest)), library_path_(std::move(library_path)), image_(std::move(image)),
      lib_(std::move(lib)), info_(info), state_(state) {
  for (uint32_t i = 0; i < info_->tool_count; ++i) tools_[info_->tools[i]->name] = info_->tools[i];
}

LoadedPlugin::~LoadedPlugin() {
  if (info_->shutdown) info_->shutdown(state_);
  lib_.unload();
  spdlog::info("plugin {} {} unloaded", manifest_.name, manifest_.version);
}  // image_ closes after the library is gone

const tg_tool* LoadedPlugin::tool(const std::string& name) const {
  auto it = tools_.find(name);
  return it == tools_.end() ? nullptr : it->second;
}

std::shared_ptr<LoadedPlugin> load_plugin(const PluginManifest& m, const std::string& plugin_dir,
                                          const tg_host_api* host, std::chrono::milliseconds init_timeout) {
  const std::string who = "plugin " + m.name + " (manifest " + m.file + ")";
  const std::string path = fs::absolute(fs::path(plugin_dir) / m.library).lexically_normal().string();

  std::unique_ptr<LibraryImage> image;
  try {
    image = std::make_unique<LibraryImage>(path);
  } catch (const std::exception& e) {
    throw LoadError(who + ": " + e.what());
  }
  const std::string& actual = image->sha256();
  if (is_placeholder_sha256(m.sha256))
    throw LoadError(who + ": the manifest's sha256 is still the placeholder (64 zeros): install the manifest the "
                    "build wrote next to the library (toolgate_add_plugin fills it in), or run `toolgate manifest "
                    "hash " + m.file + " --library " + path + "`");
  if (actual != m.sha256)
    throw LoadError(who + ": library " + path + " does not match the manifest: sha256 is " + actual +
                    ", manifest says " + m.sha256 +
                    " (the library was replaced or modified after the manifest was written or signed)");

  // Not even loaded (its constructors would run again) while an earlier copy's init runs.
  if (init_still_running(m.sha256))
    throw LoadError(who + ": the init of this library (sha256 " + m.sha256 +
                    ") from an earlier load that was given up on has still not returned; the plugin is not "
                    "loaded again until it does");
  // Load the sealed copy we just hashed, not whatever the path holds a moment later.
  std::string fd_path;
  try {
    fd_path = image->load_path();
  } catch (const std::exception& e) {
    throw LoadError(who + ": cannot load " + path + ": " + e.what());
  }
  boost::dll::shared_library lib;
  boost::system::error_code ec;
  lib.load(fd_path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    const char* why = ::dlerror();
    throw LoadError(who + ": cannot load " + path + ": " + (why ? why : ec.message()));
  }
  if (!lib.has(TG_ENTRY_SYMBOL))
    throw LoadError(who + ": " + path + " does not export the entry symbol " TG_ENTRY_SYMBOL
                    " (build it with TOOLGATE_PLUGIN or export tg_plugin_entry)");
  auto entry = lib.get<const tg_plugin_info*()>(TG_ENTRY_SYMBOL);
  // Plugin code: a C++ plugin's entry body may throw (a data file it wants is missing, say).
  // Caught here, it refuses this plugin only, instead of the whole scan.
  const tg_plugin_info* info = nullptr;
  try {
    info = entry();
  } catch (const std::exception& e) {
    throw LoadError(who + ": " + path + ": " TG_ENTRY_SYMBOL " threw: " + e.what());
  } catch (...) {
    throw LoadError(who + ": " + path + ": " TG_ENTRY_SYMBOL " threw an exception");
  }
  if (!info) throw LoadError(who + ": " + path + ": " TG_ENTRY_SYMBOL " returned no plugin info");
  // Read only the leading fields until struct_size proves the rest exists.
  if (info->struct_size < offsetof(tg_plugin_info, abi_minor) + sizeof(uint32_t))
    throw LoadError(who + ": " + path + ": " TG_ENTRY_SYMBOL " returned a plugin info of " +
                    std::to_string(info->struct_size) + " bytes, too small to carry an ABI version");
  if (info->abi_major != TG_ABI_MAJOR)
    throw LoadError(who + ": " + path + ": symbol " TG_ENTRY_SYMBOL " reports plugin ABI " +
                    std::to_string(info->abi_major) + "." + std::to_string(info->abi_minor) +
                    ", but this host speaks ABI " + std::to_string(TG_ABI_MAJOR) + "." + std::to_string(TG_ABI_MINOR) +
                    " (major versions must match; rebuild the plugin against this SDK)");
  if (info->struct_size < offsetof(tg_plugin_info, shutdown) + sizeof(info->shutdown))
    throw LoadError(who + ": " + path + ": plugin info is " + std::to_string(info->struct_size) +
                    " bytes, smaller than ABI 1.0 requires");
  if (m.abi_major != info->abi_major)
    throw LoadError(who + ": manifest declares ABI " + std::to_string(m.abi_major) + " but " + path + " reports " +
                    std::to_string(info->abi_major));
  if (!info->name || m.name != info->name)
    throw LoadError(who + ": " + path + " calls itself '" + std::string(info->name ? info->name : "") +
                    "', manifest says '" + m.name + "'");
  if (!info->version || m.version != info->version)
    throw LoadError(who + ": " + path + " reports version " + std::string(info->version ? info->version : "(none)") +
                    ", manifest says " + m.version);

  std::set<std::string> in_lib, in_manifest;
  for (uint32_t i = 0; i < info->tool_count; ++i) {
    const tg_tool* t = info->tools ? info->tools[i] : nullptr;
    if (!t || t->struct_size < sizeof(tg_tool) || !t->name || !t->invoke)
      throw LoadError(who + ": " + path + ": tool #" + std::to_string(i) + " is incomplete (needs name and invoke)");
    if (!in_lib.insert(t->name).second)
      throw LoadError(who + ": " + path + " registers tool '" + std::string(t->name) + "' twice");
  }
  for (const auto& t : m.tools) in_manifest.insert(t.name);
  if (in_lib != in_manifest) {
    std::set<std::string> missing, extra;
    std::set_difference(in_manifest.begin(), in_manifest.end(), in_lib.begin(), in_lib.end(),
                        std::inserter(missing, missing.end()));
    std::set_difference(in_lib.begin(), in_lib.end(), in_manifest.begin(), in_manifest.end(),
                        std::inserter(extra, extra.end()));
    throw LoadError(who + ": the tools in " + path + " differ from the manifest: in manifest but not library: " +
                    join(missing) + "; in library but not manifest: " + join(extra));
  }

  void* state = nullptr;
  if (info->init) {
    auto run = std::make_shared<InitRun>();
    std::string config = boost::json::serialize(m.config);
    std::thread thread;
    try {
      thread = std::thread(run_init, run, info, host, m.name, config, m.sha256, who);
    } catch (const std::system_error& e) {
      throw LoadError(who + ": no thread to run its init on: " + e.what());
    }
    std::unique_lock lock(run->mu);
    {
      // An init that does not return holds up start-up (or every later plugin reload) until the
      // timeout; say which plugin it is.
      InitWatch watch(who, init_timeout);
      auto done = [&] { return run->done; };
      if (init_timeout <= std::chrono::milliseconds::zero())
        run->cv.wait(lock, done);
      else
        run->cv.wait_for(lock, init_timeout, done);
    }
    if (!run->done) {
      run->abandoned = true;
      run->lib = std::move(lib);
      run->image = std::move(image);
      {
        std::lock_guard abandoned(g_abandoned_mu);
        g_abandoned.insert(m.sha256);
      }
      lock.unlock();
      thread.detach();
      throw LoadError(who + ": init did not return within " + std::to_string(init_timeout.count()) +
                      " ms (plugins.initTimeoutMs), so the plugin is not loaded. Its init goes on in the "
                      "background; when it returns, the plugin is shut down and may be loaded again");
    }
    lock.unlock();
    thread.join();
    if (!run->thrown.empty()) throw LoadError(who + ": " + run->thrown);
    if (run->rc != 0)
      throw LoadError(who + ": init failed: " + (run->error[0] ? std::string(run->error) : "no reason given"));
    state = run->state;
  }
  return std::make_shared<LoadedPlugin>(m, path, std::move(image), std::move(lib), info, state);
}

}  // namespace toolgate
