/* Fixture: a plugin built against a future ABI major. The host must refuse it by name. */
#include <toolgate/plugin.h>

static tg_plugin_info info = {sizeof(tg_plugin_info), TG_ABI_MAJOR + 1, 0, "fx_abi_mismatch", "1.0.0", 0, 0, 0, 0};

TG_EXPORT const tg_plugin_info* TG_ENTRY_NAME(void) { return &info; }
