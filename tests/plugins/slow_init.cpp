// Fixture: a plugin whose init blocks until the FIFO named in its config ({"fifo": PATH}) is
// opened and closed by a writer, so a test can hold an init for as long as it likes without a
// sleep.
#include <toolgate/plugin.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

TOOLGATE_PLUGIN("fx_slow_init", "1.0.0") {
  plugin.tool("slow_ready", [](toolgate::Call&, std::string_view) { return toolgate::Result::text("ready"); });
  plugin.on_init([](const tg_host_api*, std::string_view config) {
    std::string c(config);
    auto key = c.find("\"fifo\":\"");
    if (key == std::string::npos) return;
    auto start = key + 8;
    std::string path = c.substr(start, c.find('"', start) - start);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path);
    char buf[64];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  });
}
