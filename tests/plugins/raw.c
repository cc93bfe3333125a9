/* Fixture: a plugin written straight against the C ABI, whose tool returns a failure code
 * without setting any result. The host must turn that into an internal error for that call. */
#include <toolgate/plugin.h>

static int no_result(void* state, void* ctx, tg_call* call, const char* args, size_t len) {
  (void)state; (void)ctx; (void)call; (void)args; (void)len;
  return TG_ERR;
}

static const tg_tool tool = {sizeof(tg_tool), "no_result", no_result, 0};
static const tg_tool* const tools[] = {&tool};
static tg_plugin_info info = {sizeof(tg_plugin_info), TG_ABI_MAJOR, TG_ABI_MINOR, "fx_raw", "1.0.0", tools, 1, 0, 0};

TG_EXPORT const tg_plugin_info* TG_ENTRY_NAME(void) { return &info; }
