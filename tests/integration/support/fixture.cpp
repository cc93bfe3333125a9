#include "fixture.hpp"

#include <filesystem>

namespace toolgate::testing {

std::string anonymous_policy(const std::string& plugin_dir, const std::string& extra) {
  return std::string("{\"plugins\":{\"directory\":\"") + plugin_dir +
         "\"},\"identity\":{\"anonymous\":{\"tenant\":\"test\",\"scopes\":[\"*\"]}}" + (extra.empty() ? "" : "," + extra) +
         "}";
}

RunningToolgate::RunningToolgate(const std::string& extra_policy, std::vector<std::string> extra_args,
                                 std::map<std::string, std::string> env) {
  std::string plugins = dir_.file("plugins");
  std::filesystem::create_directory(plugins);
  copy_plugin(staged_plugin_dir(), plugins, "echo");
  copy_plugin(fixture_plugin_dir(), plugins, "fx_behaviours");
  copy_plugin(fixture_plugin_dir(), plugins, "fx_raw");
  write_text(dir_.file("policy.json"), anonymous_policy(plugins, extra_policy));
  McpProcess::Options o;
  o.args = {"serve", "--config", dir_.file("policy.json")};
  for (auto& a : extra_args) o.args.push_back(a);
  o.env = std::move(env);
  process_ = std::make_unique<McpProcess>(o);
}

}  // namespace toolgate::testing
