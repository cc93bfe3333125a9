// Fixture: a tool that brings the process down the way a buggy plugin does, as its arguments
// say: {"how": "segv"}, {"how": "abort"} or {"how": "exit"}.
#include <toolgate/plugin.hpp>

#include <csignal>
#include <cstdlib>
#include <string>

TOOLGATE_PLUGIN("fx_crash", "1.0.0") {
  plugin.tool("crash", [](toolgate::Call&, std::string_view args) -> toolgate::Result {
    std::string a(args);
    if (a.find("segv") != std::string::npos) std::raise(SIGSEGV);
    if (a.find("abort") != std::string::npos) std::abort();
    if (a.find("exit") != std::string::npos) std::exit(3);
    return toolgate::Result::text("still here");
  });
}
