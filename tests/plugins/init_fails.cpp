// Fixture: a plugin whose init refuses to start unless its config says the database is ready
// ({"database": "ready"}), as an operator would set it in the policy's plugins.config.
#include <toolgate/plugin.hpp>

#include <stdexcept>

TOOLGATE_PLUGIN("fx_init_fails", "1.0.0") {
  plugin.tool("never_available", [](toolgate::Call&, std::string_view) { return toolgate::Result::text("available"); });
  plugin.on_init([](const tg_host_api*, std::string_view config) {
    if (config.find(R"("database":"ready")") == std::string_view::npos)
      throw std::runtime_error("database fx.db is unreachable");
  });
}
