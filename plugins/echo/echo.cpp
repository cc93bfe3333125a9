// echo: returns its text argument unchanged. The smallest useful tool: interop tests and the
// benchmark use it to measure the host, not the tool.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

namespace {

toolgate::Result echo(toolgate::Call&, std::string_view args) {
  // The host validated args against the manifest's inputSchema, so "text" is a string. A parser
  // per thread keeps its buffers between calls: echo is what the benchmark measures.
  thread_local boost::json::stream_parser parser;
  parser.reset();
  parser.write(args.data(), args.size());
  parser.finish();
  boost::json::value v = parser.release();
  return toolgate::Result::text(v.at("text").as_string());
}

}  // namespace

TOOLGATE_PLUGIN("echo", "1.0.0") { plugin.tool("echo", echo); }
