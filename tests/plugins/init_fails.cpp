// Fixture: a plugin whose init refuses to start.
#include <toolgate/plugin.hpp>

#include <stdexcept>

TOOLGATE_PLUGIN("fx_init_fails", "1.0.0") {
  plugin.tool("never_available", [](toolgate::Call&, std::string_view) { return toolgate::Result::text("unreachable"); });
  plugin.on_init([](const tg_host_api*, std::string_view) { throw std::runtime_error("database fx.db is unreachable"); });
}
