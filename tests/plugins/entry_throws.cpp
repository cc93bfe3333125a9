// Fixture: a C++ plugin whose entry body throws (a data file it wants is missing, say). The
// exception leaves tg_plugin_entry itself, before any init.
#include <toolgate/plugin.hpp>

#include <stdexcept>

TOOLGATE_PLUGIN("fx_entry_throws", "1.0.0") {
  throw std::runtime_error("cannot find my data file");
  plugin.tool("never_listed", [](toolgate::Call&, std::string_view) { return toolgate::Result::text("unreachable"); });
}
