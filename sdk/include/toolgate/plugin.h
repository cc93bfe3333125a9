/*
 * toolgate plugin ABI, version 1.
 *
 * This is the whole contract between the toolgate host and a plugin shared library. It is pure
 * C so that a plugin built with any compiler, standard library or exception model loads safely.
 *
 * Rules that keep the ABI stable (in the spirit of SQLite's extension table):
 *  - Every struct that crosses the boundary starts with `uint32_t struct_size`. Structs only
 *    grow at the end. A reader checks struct_size before touching a field added later.
 *  - TG_ABI_MAJOR changes only when an existing field changes meaning; the host refuses a
 *    plugin whose major differs, with an error naming the file, the symbol and both versions.
 *    TG_ABI_MINOR grows with every appended field; either side may be newer.
 *  - Nothing C++ crosses: no exceptions, no std:: types, no allocations. Whoever allocates,
 *    frees. Strings are (pointer, length) pairs, UTF-8, and need not be NUL-terminated unless a
 *    field says so. JSON passed in is valid only for the duration of the call that passes it;
 *    the host copies whatever a plugin hands it before returning.
 *
 * Lifetime and threading:
 *  - The host resolves exactly one symbol, TG_ENTRY_SYMBOL, and calls it once per load. The
 *    returned tg_plugin_info and everything it points to must stay valid until the library is
 *    unloaded (static storage is the usual choice).
 *  - init() runs once before any tool is invoked; shutdown() runs once after the last call has
 *    returned. Neither overlaps with a tool call.
 *  - Tool functions are called concurrently from several host worker threads, so a tool must
 *    be thread-safe with respect to its own state. One tg_call belongs to one invocation; host
 *    API functions taking it may be called from the invoking thread only, and never after the
 *    tool function has returned.
 *  - A plugin never writes to stdout: the host points file descriptor 1 at stderr before any
 *    plugin loads, because stdout carries the protocol.
 */
#ifndef TOOLGATE_PLUGIN_H
#define TOOLGATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TG_ABI_MAJOR 1u
#define TG_ABI_MINOR 0u

/* The one symbol a plugin exports. */
#define TG_ENTRY_NAME tg_plugin_entry
#define TG_ENTRY_SYMBOL "tg_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define TG_EXPORT __attribute__((visibility("default")))
#else
#define TG_EXPORT
#endif

/* Return codes of host API functions and tool functions. */
enum tg_rc {
  TG_OK = 0,
  TG_ERR = -1,             /* generic failure; see the message passed alongside, if any */
  TG_ERR_CANCELLED = -2,   /* the call was cancelled by the client or timed out */
  TG_ERR_UNSUPPORTED = -3, /* the client (or host) does not offer this capability */
  TG_ERR_TIMEOUT = -4,     /* a request to the client got no answer in time */
  TG_ERR_INVALID = -5,     /* an argument was malformed (e.g. JSON that does not parse) */
  TG_ERR_FINISHED = -6     /* a result was already set for this call */
};

/* Levels for tg_host_api.log, matching the MCP/syslog names the client sees. */
enum tg_log_level {
  TG_LOG_DEBUG = 0,
  TG_LOG_INFO = 1,
  TG_LOG_NOTICE = 2,
  TG_LOG_WARNING = 3,
  TG_LOG_ERROR = 4
};

/* One tool invocation; opaque to plugins. */
typedef struct tg_call tg_call;

/* The caller a tool runs for. Pointers are owned by the host and valid until the tool
 * function returns. Plugins scope their own data by tenant with this, never by credential. */
typedef struct tg_principal {
  uint32_t struct_size;
  const char* subject; /* NUL-terminated */
  const char* tenant;  /* NUL-terminated */
  const char* const* scopes;
  size_t scope_count;
} tg_principal;

/* Receives JSON the host owns; valid only during the callback. */
typedef void (*tg_json_sink)(void* ctx, const char* json, size_t len);

typedef struct tg_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;

  /* Diagnostics. With a call, the message may also reach the client as notifications/message
   * (subject to the client's log level); without one (call == NULL) it goes to stderr only. */
  void (*log)(tg_call* call, int level, const char* msg, size_t len);

  /* Progress for the client's progressToken, if it sent one (otherwise a no-op returning
   * TG_OK). progress must increase between reports; total <= 0 means unknown. */
  int (*report_progress)(tg_call* call, double progress, double total, const char* msg,
                         size_t msg_len);

  /* Non-zero once the client cancelled the call or its deadline passed. Long-running tools
   * poll this and return early; the host discards whatever they produce afterwards. */
  int (*is_cancelled)(tg_call* call);

  /* A partial result (any JSON value) that job pollers can read before the call finishes. */
  int (*emit_partial)(tg_call* call, const char* json, size_t len);

  /* The call's result: a JSON object shaped like MCP's CallToolResult, i.e.
   * {"content": [...], "structuredContent": {...}, "isError": false}. Content items may be
   * text, image, audio, resource and resource_link. Returns TG_ERR_INVALID if it does not
   * parse or has no content array, TG_ERR_FINISHED if a result was already set. */
  int (*set_result)(tg_call* call, const char* json, size_t len);

  /* A tool-level failure the model should see: becomes an isError result with this text. */
  int (*set_error)(tg_call* call, const char* msg, size_t len);

  /* A request from server to client on behalf of this call (e.g. "elicitation/create",
   * "sampling/createMessage"), params as a JSON object. Blocks until the client answers, the
   * call is cancelled, or timeout_ms passes (0: the host's default). On TG_OK, on_reply gets
   * the JSON-RPC result; on TG_ERR it gets the JSON-RPC error object. TG_ERR_UNSUPPORTED means
   * the client did not declare the capability this method needs. */
  int (*client_request)(tg_call* call, const char* method, const char* params_json,
                        size_t params_len, uint32_t timeout_ms, tg_json_sink on_reply,
                        void* reply_ctx);

  /* Fills *out (whose struct_size the caller sets) with the principal the call runs as. */
  int (*get_principal)(tg_call* call, tg_principal* out);
} tg_host_api;

/* A tool function. Returns TG_OK after calling set_result or set_error; any other return
 * without a result becomes an internal error for this call only. */
typedef int (*tg_tool_fn)(void* plugin_state, void* tool_ctx, tg_call* call,
                          const char* args_json, size_t args_len);

typedef struct tg_tool {
  uint32_t struct_size;
  const char* name; /* NUL-terminated; must match a tool in the plugin's manifest */
  tg_tool_fn invoke;
  void* tool_ctx; /* passed back to invoke unchanged */
} tg_tool;

typedef struct tg_plugin_info {
  uint32_t struct_size;
  uint32_t abi_major; /* must be TG_ABI_MAJOR as the plugin was compiled */
  uint32_t abi_minor;
  const char* name;    /* NUL-terminated; must match the manifest */
  const char* version; /* NUL-terminated; must match the manifest */
  const tg_tool* const* tools; /* array of pointers, so tg_tool can grow */
  uint32_t tool_count;
  /* Optional. config_json is the plugin's section of the host configuration ("{}" if none).
   * On failure return non-zero and write a NUL-terminated reason into error (error_cap bytes). */
  int (*init)(const tg_host_api* host, const char* config_json, size_t config_len,
              void** plugin_state, char* error, size_t error_cap);
  /* Optional. */
  void (*shutdown)(void* plugin_state);
} tg_plugin_info;

typedef const tg_plugin_info* (*tg_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* TOOLGATE_PLUGIN_H */
