// Fixture for drop-in loading: one source built three times, as fx_dropin 1.0.0, 2.0.0 and 3.0.0
// (FX_DROPIN_VERSION), both into libfx_dropin.so in separate directories, so a test can replace
// one with the other in a running toolgate. dropin_hold blocks reading a FIFO the test names, so
// a call can be kept in flight across a replacement without any sleep: the test's open() of the
// FIFO for writing returns only once the call has opened it, and the call returns when the test
// closes it.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace json = boost::json;
using toolgate::Call;
using toolgate::Result;

namespace {

// A thread_local with a destructor, as ordinary C++ code has: once a thread has used it, the
// dynamic loader can no longer unload the library while that thread lives, so an old version
// stays mapped after it is replaced (the host must still load each new copy afresh).
thread_local std::string t_last_answer;

Result version(Call&, std::string_view) {
  t_last_answer = "fx_dropin " FX_DROPIN_VERSION;
  return Result::text(t_last_answer);
}

Result hold(Call&, std::string_view args) {
  std::string fifo(json::parse(args).at("fifo").as_string());
  int fd = ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Result::error("cannot open " + fifo);
  std::string got;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // Runs from this version's code after the read: proves the library was still loaded.
  return Result::text("fx_dropin " FX_DROPIN_VERSION " released: " + got);
}

}  // namespace

TOOLGATE_PLUGIN("fx_dropin", FX_DROPIN_VERSION) {
  plugin.tool("dropin_version", version);
  plugin.tool("dropin_hold", hold);
#if FX_DROPIN_MAJOR >= 2
  plugin.tool("dropin_new", [](Call&, std::string_view) { return Result::text("only in 2.0.0"); });
#endif
}
