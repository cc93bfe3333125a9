// The README's run command (scripts/run), already built: it must serve the bundled plugins
// under the development policy with a generated development key, and print on stderr exact
// connection instructions for Claude Code, Cursor and VS Code that work when followed.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "fixture.hpp"
#include "operator_support.hpp"

namespace toolgate::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

bool listed(McpProcess& p, const std::string& name) {
  for (const auto& n : tool_names(p))
    if (n == name) return true;
  return false;
}

// The JSON block printed after `header` (an indented object spanning lines up to its closing brace).
json::value block_after(const std::string& text, const std::string& header) {
  std::size_t h = text.find(header);
  if (h == std::string::npos) throw std::runtime_error("no \"" + header + "\" in:\n" + text);
  std::size_t open = text.find("\n    {", h);
  std::size_t close = text.find("\n    }", open);
  if (open == std::string::npos || close == std::string::npos) throw std::runtime_error("no JSON after " + header);
  return json::parse(text.substr(open + 1, close + 6 - open - 1));
}

TEST(FirstRun, RunScriptServesTheBundledPluginsAndExplainsHowToConnect) {
  TempDir dir;
  std::string build = fs::path(toolgate_binary()).parent_path().string();
  McpProcess::Options o;
  o.binary = std::string(TOOLGATE_SOURCE_DIR) + "/scripts/run";
  o.env = {{"TOOLGATE_PREBUILT", "1"}, {"TOOLGATE_BUILD_DIR", build}, {"TOOLGATE_DEV_DIR", dir.file("dev")}};
  McpProcess run(o);

  // The script's own server: the development key in its environment authenticates the calls.
  run.initialize();
  EXPECT_TRUE(listed(run, "echo"));
  EXPECT_TRUE(listed(run, "dns_lookup"));
  EXPECT_TRUE(listed(run, "ssl_certificate"));
  EXPECT_EQ(first_text(run.call_tool("echo", json::object{{"text", "first run"}})), "first run");

  wait_for_stderr(run, "press Ctrl-D to stop");  // the last line the script prints before serving
  std::string err = run.stderr_text();
  std::string key = read_text(dir.file("dev") + "/dev-key");
  while (!key.empty() && key.back() == '\n') key.pop_back();
  ASSERT_EQ(key.rfind("tgk_", 0), 0u) << "no development key was generated: " << key;
  EXPECT_EQ(fs::status(dir.file("dev") + "/dev-key").permissions() & fs::perms::group_all, fs::perms::none);

  // Claude Code: the exact command, key included, and it works when followed.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex("claude mcp add toolgate --env TOOLGATE_TOKEN=(\\S+) -- (\\S+) serve --config (\\S+)")))
      << err;
  EXPECT_EQ(m[1].str(), key);
  EXPECT_EQ(fs::canonical(m[2].str()), fs::canonical(toolgate_binary()));
  std::string policy = m[3].str();
  EXPECT_EQ(policy, dir.file("dev") + "/policy.json");

  // Cursor and VS Code: the printed entries launch the same server with the key.
  json::value cursor = block_after(err, "Cursor");
  json::value vscode = block_after(err, "VS Code");
  const json::value& c = cursor.at("mcpServers").at("toolgate");
  const json::value& v = vscode.at("servers").at("toolgate");
  EXPECT_EQ(v.at("type"), "stdio");
  EXPECT_EQ(c.at("env").at("TOOLGATE_TOKEN"), key.c_str());
  EXPECT_EQ(v.at("env").at("TOOLGATE_TOKEN"), key.c_str());
  EXPECT_EQ(c.at("args"), v.at("args"));

  McpProcess::Options follow;
  follow.binary = std::string(c.at("command").as_string());
  for (const auto& a : c.at("args").as_array()) follow.args.emplace_back(a.as_string());
  follow.env = {{"TOOLGATE_TOKEN", key}};
  McpProcess client(follow);
  client.initialize();
  EXPECT_EQ(first_text(client.call_tool("echo", json::object{{"text", "from cursor"}})), "from cursor");

  // Without the key the same command serves nothing: the development policy has no anonymous caller.
  McpProcess::Options keyless = follow;
  keyless.env.clear();
  McpProcess stranger(keyless);
  stranger.initialize();
  json::value r = stranger.request("tools/call", json::object{{"name", "echo"}, {"arguments", json::object{{"text", "x"}}}});
  EXPECT_TRUE(r.as_object().contains("error") || r.at("result").at("isError").as_bool()) << json::serialize(r);
}

}  // namespace
}  // namespace toolgate::testing
