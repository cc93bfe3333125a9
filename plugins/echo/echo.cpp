// echo: returns its text argument unchanged. The smallest useful tool: interop tests and the
// benchmark use it to measure the host, not the tool.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

namespace {

toolgate::Result echo(toolgate::Call&, std::string_view args) {
  // The host validated args against the manifest's inputSchema, so "text" is a string.
  boost::json::value v = boost::json::parse(args);
  return toolgate::Result::text(std::string(v.at("text").as_string()));
}

}  // namespace

TOOLGATE_PLUGIN("echo", "1.0.0") { plugin.tool("echo", echo); }
