// Fixture: a tool that brings the process down the way a buggy plugin does, as its arguments
// say: {"how": "segv"}, {"how": "abort"}, {"how": "exit"} or {"how": "overflow"} (unbounded
// recursion until the stack's guard page).
#include <toolgate/plugin.hpp>

#include <csignal>
#include <cstdlib>
#include <string>

namespace {
// Each frame keeps a buffer the compiler cannot drop and recurses after using it, so neither
// inlining nor a tail call turns the recursion into a loop.
[[gnu::noinline]] int recurse(int depth) {
  volatile char frame[4096];
  frame[0] = static_cast<char>(depth);
  return recurse(depth + 1) + frame[0];
}
}  // namespace

TOOLGATE_PLUGIN("fx_crash", "1.0.0") {
  plugin.tool("crash", [](toolgate::Call&, std::string_view args) -> toolgate::Result {
    std::string a(args);
    if (a.find("segv") != std::string::npos) std::raise(SIGSEGV);
    if (a.find("abort") != std::string::npos) std::abort();
    if (a.find("exit") != std::string::npos) std::exit(3);
    if (a.find("overflow") != std::string::npos) return toolgate::Result::text(std::to_string(recurse(0)));
    return toolgate::Result::text("still here");
  });
}
