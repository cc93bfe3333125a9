// toolgate plugin SDK, C++ layer (header-only, C++17).
//
// Makes a tool a few lines on top of the C ABI in plugin.h:
//
//   #include <toolgate/plugin.hpp>
//   static toolgate::Result hello(toolgate::Call& call, std::string_view args_json) {
//     return toolgate::Result::text("hello, " + std::string(call.principal().tenant));
//   }
//   TOOLGATE_PLUGIN("hello", "1.0.0") {
//     plugin.tool("hello", hello);
//   }
//
// Every handler runs inside a noexcept trampoline: an exception becomes an isError result for
// that call and never crosses into the host. The layer does not pick a JSON library for you;
// arguments arrive as the raw JSON text, and Result takes structured content as JSON text.
//
// Threading: handlers run concurrently on host worker threads. A Call is valid only inside the
// handler it was passed to.
#ifndef TOOLGATE_PLUGIN_HPP
#define TOOLGATE_PLUGIN_HPP

#include <toolgate/plugin.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

// Quotes and escapes a string as a JSON string literal.
inline std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// A tool's result: content items plus optional structured content, serialised on return.
class Result {
 public:
  static Result text(std::string_view t) { return Result().add_text(t); }
  static Result error(std::string_view message) {
    Result r;
    r.add_text(message);
    r.is_error_ = true;
    return r;
  }
  // Structured content (a JSON object as text) with its text rendering for older clients.
  static Result structured(std::string json_object) {
    Result r;
    r.add_text(json_object);
    r.structured_ = std::move(json_object);
    return r;
  }

  Result& add_text(std::string_view t) {
    items_.push_back("{\"type\":\"text\",\"text\":" + json_quote(t) + "}");
    return *this;
  }
  Result& add_image(std::string_view base64, std::string_view mime_type) {
    items_.push_back("{\"type\":\"image\",\"data\":" + json_quote(base64) +
                     ",\"mimeType\":" + json_quote(mime_type) + "}");
    return *this;
  }
  Result& add_audio(std::string_view base64, std::string_view mime_type) {
    items_.push_back("{\"type\":\"audio\",\"data\":" + json_quote(base64) +
                     ",\"mimeType\":" + json_quote(mime_type) + "}");
    return *this;
  }
  Result& add_resource_text(std::string_view uri, std::string_view mime_type,
                            std::string_view text) {
    items_.push_back("{\"type\":\"resource\",\"resource\":{\"uri\":" + json_quote(uri) +
                     ",\"mimeType\":" + json_quote(mime_type) + ",\"text\":" + json_quote(text) +
                     "}}");
    return *this;
  }
  Result& add_resource_link(std::string_view uri, std::string_view name,
                            std::string_view mime_type = {}) {
    std::string item = "{\"type\":\"resource_link\",\"uri\":" + json_quote(uri) +
                       ",\"name\":" + json_quote(name);
    if (!mime_type.empty()) item += ",\"mimeType\":" + json_quote(mime_type);
    items_.push_back(item + "}");
    return *this;
  }
  // Adds any content item given as a JSON object.
  Result& add_raw(std::string json_item) {
    items_.push_back(std::move(json_item));
    return *this;
  }
  Result& set_structured(std::string json_object) {
    structured_ = std::move(json_object);
    return *this;
  }
  Result& set_error(bool e = true) {
    is_error_ = e;
    return *this;
  }

  std::string to_json() const {
    std::string out = "{\"content\":[";
    for (size_t i = 0; i < items_.size(); ++i) {
      if (i) out.push_back(',');
      out += items_[i];
    }
    out += "]";
    if (!structured_.empty()) out += ",\"structuredContent\":" + structured_;
    if (is_error_) out += ",\"isError\":true";
    out += "}";
    return out;
  }

 private:
  std::vector<std::string> items_;
  std::string structured_;
  bool is_error_ = false;
};

struct Principal {
  std::string subject;
  std::string tenant;
  std::vector<std::string> scopes;
};

// Thrown by Call::ask_client when the client cannot or did not answer.
class ClientRequestError : public std::exception {
 public:
  ClientRequestError(int rc, std::string detail) : rc_(rc), detail_(std::move(detail)) {}
  int rc() const noexcept { return rc_; }
  const char* what() const noexcept override { return detail_.c_str(); }

 private:
  int rc_;
  std::string detail_;
};

// The handler's view of one invocation.
class Call {
 public:
  Call(const tg_host_api* host, tg_call* call) : host_(host), call_(call) {}

  void log(int level, std::string_view msg) const { host_->log(call_, level, msg.data(), msg.size()); }
  void progress(double done, double total = 0, std::string_view msg = {}) const {
    host_->report_progress(call_, done, total, msg.data(), msg.size());
  }
  bool cancelled() const { return host_->is_cancelled(call_) != 0; }
  void partial(std::string_view json) const { host_->emit_partial(call_, json.data(), json.size()); }

  Principal principal() const {
    tg_principal p{};
    p.struct_size = sizeof p;
    Principal out;
    if (host_->get_principal(call_, &p) != TG_OK) return out;
    out.subject = p.subject ? p.subject : "";
    out.tenant = p.tenant ? p.tenant : "";
    for (size_t i = 0; i < p.scope_count; ++i) out.scopes.emplace_back(p.scopes[i]);
    return out;
  }

  // Sends a request to the client and returns its JSON result. Throws ClientRequestError with
  // the rc (TG_ERR_UNSUPPORTED, TG_ERR_TIMEOUT, TG_ERR_CANCELLED, TG_ERR) and any error JSON.
  std::string ask_client(const std::string& method, std::string_view params_json,
                         uint32_t timeout_ms = 0) const {
    std::string reply;
    auto sink = [](void* ctx, const char* json, size_t len) {
      static_cast<std::string*>(ctx)->assign(json, len);
    };
    int rc = host_->client_request(call_, method.c_str(), params_json.data(), params_json.size(),
                                   timeout_ms, sink, &reply);
    if (rc != TG_OK) throw ClientRequestError(rc, method + " failed: " + (reply.empty() ? "rc " + std::to_string(rc) : reply));
    return reply;
  }

  const tg_host_api* host() const { return host_; }
  tg_call* raw() const { return call_; }

 private:
  const tg_host_api* host_;
  tg_call* call_;
};

using Handler = std::function<Result(Call&, std::string_view)>;
using InitHook = std::function<void(const tg_host_api*, std::string_view config_json)>;

namespace detail {

struct ToolSlot {
  tg_tool tool{};
  std::string name;
  Handler handler;
};

struct PluginState {
  const tg_host_api* host = nullptr;
};

inline PluginState& state() {
  static PluginState s;
  return s;
}

inline int finish(const tg_host_api* host, tg_call* call, const Result& r) {
  std::string json = r.to_json();
  int rc = host->set_result(call, json.data(), json.size());
  return rc == TG_ERR_FINISHED ? TG_OK : rc;
}

inline int trampoline(void*, void* tool_ctx, tg_call* call, const char* args,
                      size_t len) noexcept {
  const tg_host_api* host = state().host;
  try {
    Call c(host, call);
    Result r = static_cast<ToolSlot*>(tool_ctx)->handler(c, std::string_view(args, len));
    return finish(host, call, r);
  } catch (const std::exception& e) {
    std::string msg = e.what();
    host->set_error(call, msg.data(), msg.size());
    return TG_OK;
  } catch (...) {
    static const char msg[] = "the tool failed with an unknown exception";
    host->set_error(call, msg, sizeof msg - 1);
    return TG_OK;
  }
}

}  // namespace detail

// Collects a plugin's tools; filled once by the TOOLGATE_PLUGIN body.
class PluginBuilder {
 public:
  PluginBuilder(const char* name, const char* version) {
    info_.struct_size = sizeof info_;
    info_.abi_major = TG_ABI_MAJOR;
    info_.abi_minor = TG_ABI_MINOR;
    info_.name = name;
    info_.version = version;
    info_.init = &PluginBuilder::init_thunk;
    info_.shutdown = nullptr;
  }

  PluginBuilder& tool(std::string name, Handler handler) {
    auto slot = std::make_unique<detail::ToolSlot>();
    slot->name = std::move(name);
    slot->handler = std::move(handler);
    slots_.push_back(std::move(slot));
    return *this;
  }
  // Runs once at load with the plugin's config section; throw to refuse loading.
  PluginBuilder& on_init(InitHook hook) {
    init_hook() = std::move(hook);
    return *this;
  }

  const tg_plugin_info* finish() {
    for (auto& s : slots_) {
      s->tool.struct_size = sizeof(tg_tool);
      s->tool.name = s->name.c_str();
      s->tool.invoke = &detail::trampoline;
      s->tool.tool_ctx = s.get();
      pointers_.push_back(&s->tool);
    }
    info_.tools = pointers_.data();
    info_.tool_count = static_cast<uint32_t>(pointers_.size());
    return &info_;
  }

 private:
  static InitHook& init_hook() {
    static InitHook hook;
    return hook;
  }
  static int init_thunk(const tg_host_api* host, const char* config, size_t config_len,
                        void** plugin_state, char* error, size_t error_cap) {
    detail::state().host = host;
    *plugin_state = &detail::state();
    try {
      if (init_hook()) init_hook()(host, std::string_view(config, config_len));
      return 0;
    } catch (const std::exception& e) {
      std::snprintf(error, error_cap, "%s", e.what());
    } catch (...) {
      std::snprintf(error, error_cap, "init threw an unknown exception");
    }
    return 1;
  }

  tg_plugin_info info_{};
  std::vector<std::unique_ptr<detail::ToolSlot>> slots_;
  std::vector<const tg_tool*> pointers_;
};

}  // namespace toolgate

// Defines the plugin and its exported entry point. The body receives `plugin`, a
// toolgate::PluginBuilder, and registers tools on it. It runs once, on first load.
#define TOOLGATE_PLUGIN(NAME, VERSION)                                              \
  static void tg_define_plugin_(::toolgate::PluginBuilder& plugin);                 \
  extern "C" TG_EXPORT const tg_plugin_info* TG_ENTRY_NAME(void) {                  \
    static const tg_plugin_info* info = [] {                                        \
      static ::toolgate::PluginBuilder builder(NAME, VERSION);                      \
      tg_define_plugin_(builder);                                                   \
      return builder.finish();                                                      \
    }();                                                                            \
    return info;                                                                    \
  }                                                                                 \
  static void tg_define_plugin_(::toolgate::PluginBuilder& plugin)

#endif  // TOOLGATE_PLUGIN_HPP
