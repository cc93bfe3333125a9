// Turns one verified manifest into a loaded plugin: resolve the library inside the plugin
// directory, copy it into a sealed memory file and check that copy's sha256 against the manifest
// (registry/library_image.hpp: the bytes checked are the bytes that run, whatever happens to the
// file on disk afterwards), load the copy with Boost.DLL (RTLD_NOW | RTLD_LOCAL), import only the C entry symbol, check
// the ABI major exactly, compare the library's tools with the manifest's, and run init().
// Every failure is a LoadError whose text names the plugin, the file and the reason.
//
// init() runs on a thread of its own, so that one that never returns (a server it waits for is
// down, a deadlock) can be given up on after init_timeout instead of holding up start-up and
// every later reload: the plugin is then refused, and its library stays loaded until the init
// returns, when the plugin is shut down and unloaded. Until then that library is not tried again.
//
// A LoadedPlugin is shared (shared_ptr) by every tool entry and every call in flight; the
// library is shut down and unloaded only when the last holder lets go.
#pragma once

#include <toolgate/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "registry/library_image.hpp"
#include "registry/manifest.hpp"

namespace toolgate {

class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LoadedPlugin {
 public:
  LoadedPlugin(PluginManifest manifest, std::string library_path, std::unique_ptr<LibraryImage> image,
               boost::dll::shared_library lib, const tg_plugin_info* info, void* state);
  ~LoadedPlugin();
  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;

  const PluginManifest& manifest() const { return manifest_; }
  const std::string& library_path() const { return library_path_; }
  void* state() const { return state_; }
  // The library's tool for a manifest tool name (never null for names in the manifest).
  const tg_tool* tool(const std::string& name) const;

 private:
  PluginManifest manifest_;
  std::string library_path_;
  // The sealed copy the library was hashed and loaded from. It stays open while the library is
  // loaded: the dynamic loader recognises loaded objects by path, and a reused descriptor number
  // would otherwise make /proc/self/fd/N name a different, already-loaded plugin.
  std::unique_ptr<LibraryImage> image_;
  boost::dll::shared_library lib_;
  const tg_plugin_info* info_;
  void* state_;
  std::unordered_map<std::string, const tg_tool*> tools_;
};

// Whether an init that load_plugin() gave up on is still running somewhere in the process.
bool plugin_init_still_running();

// Loads the plugin a manifest describes from plugin_dir. Throws LoadError. `host` must outlive
// the process's plugins (an init given up on may still use it). A zero init_timeout waits for
// ever.
std::shared_ptr<LoadedPlugin> load_plugin(const PluginManifest& manifest, const std::string& plugin_dir,
                                          const tg_host_api* host,
                                          std::chrono::milliseconds init_timeout = std::chrono::milliseconds::zero());

}  // namespace toolgate
