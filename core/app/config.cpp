#include "app/config.hpp"

#include <filesystem>

#include "util/digest.hpp"

namespace json = boost::json;

namespace toolgate {

namespace fs = std::filesystem;

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty()) return path;
  fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (fs::path(base_dir.empty() ? fs::current_path().string() : base_dir) / p).lexically_normal().string();
}

std::optional<Config> parse_config(const std::string& text, const std::string& file, JsonErrors& errors) {
  std::size_t before = errors.items().size();
  Config c;
  c.file = file;
  c.base_dir = file.empty() ? fs::current_path().string() : fs::path(file).parent_path().string();
  c.digest = sha256_hex(text);
  auto doc = parse_json_text(text, file.empty() ? "policy" : file, errors);
  if (!doc) return std::nullopt;
  if (!doc->is_object()) {
    errors.add("$", "expected an object");
    return std::nullopt;
  }
  c.raw = doc->get_object();
  JsonObjectReader r(&c.raw, "$", errors);
  r.accept("$schema");

  JsonObjectReader plugins = r.object("plugins");
  c.server.plugin_dir = resolve_path(c.base_dir, plugins.string_or("directory", ""));
  c.server.manifest_dir = resolve_path(c.base_dir, plugins.string_or("manifestDirectory", ""));
  plugins.accept("requireSigned");
  plugins.accept("trustedPublishers");
  plugins.finish();

  JsonObjectReader s = r.object("server");
  c.server.max_message_bytes = static_cast<std::size_t>(
      s.integer_or("maxMessageBytes", static_cast<std::int64_t>(c.server.max_message_bytes), 1024, 1LL << 30));
  c.server.workers = static_cast<std::size_t>(s.integer_or("workers", 8, 1, 256));
  c.server.default_timeout_ms = s.integer_or("defaultTimeoutMs", c.server.default_timeout_ms, 1, 24LL * 3600 * 1000);
  c.server.shutdown_grace_ms = s.integer_or("shutdownGraceMs", c.server.shutdown_grace_ms, 0, 600'000);
  c.server.client_request_timeout_ms =
      s.integer_or("clientRequestTimeoutMs", c.server.client_request_timeout_ms, 1, 3600'000);
  c.server.log_level = s.string_or("logLevel", c.server.log_level);
  if (c.server.log_level != "trace" && c.server.log_level != "debug" && c.server.log_level != "info" &&
      c.server.log_level != "warn" && c.server.log_level != "error" && c.server.log_level != "off")
    errors.add("$.server.logLevel", "expected one of trace, debug, info, warn, error, off");
  c.server.tools_page_size = static_cast<std::size_t>(s.integer_or("toolsPageSize", 100, 1, 10'000));
  c.server.instructions = s.string_or("instructions", "");
  s.finish();

  JsonObjectReader tools = r.object("tools");
  if (tools.present()) {
    for (const auto& kv : c.raw.at("tools").get_object()) {
      std::string name(kv.key());
      JsonObjectReader t = tools.object(name);
      ToolOverride o;
      o.scope = t.string("scope");
      if (o.scope && o.scope->empty()) errors.add(t.path() + ".scope", "expected a non-empty scope");
      t.finish();
      c.tools[name] = o;
    }
  }
  std::string list = r.string_or("toolList", "callable");
  if (list != "callable" && list != "all") errors.add("$.toolList", "expected \"callable\" or \"all\"");
  c.list_all_tools = list == "all";

  JsonObjectReader consent = r.object("consent");
  c.consent.timeout_ms = consent.integer_or("timeoutMs", c.consent.timeout_ms, 1000, 3600'000);
  c.consent.state_key_file = resolve_path(c.base_dir, consent.string_or("stateKeyFile", ""));
  if (const json::array* ex = consent.array("exempt")) {
    for (std::size_t i = 0; i < ex->size(); ++i) {
      std::string path = "$.consent.exempt[" + std::to_string(i) + "]";
      if (!(*ex)[i].is_object()) {
        errors.add(path, "expected an object like {\"tenant\": \"acme\", \"subject\": \"ci-bot\"}");
        continue;
      }
      JsonObjectReader e(&(*ex)[i].get_object(), path, errors);
      ConsentExemption x;
      x.tenant = e.string("tenant", true).value_or("");
      x.subject = e.string_or("subject", "");
      e.finish();
      c.consent.exempt.push_back(x);
    }
  }
  JsonObjectReader ctools = consent.object("tools");
  if (ctools.present())
    for (const auto& kv : c.raw.at("consent").at("tools").get_object())
      if (auto b = ctools.boolean(std::string(kv.key()))) c.consent.tools[std::string(kv.key())] = *b;
  ctools.finish();
  consent.finish();

  // Sections parsed by their own areas.
  for (const char* k : {"identity", "audit", "rateLimits", "redact", "jobs", "tenants"}) r.accept(k);
  r.finish();
  if (errors.items().size() != before) return std::nullopt;
  return c;
}

std::optional<Config> load_config(const std::string& file, JsonErrors& errors) {
  std::string abs = fs::absolute(file).lexically_normal().string();
  auto text = read_file(abs, errors);
  if (!text) return std::nullopt;
  JsonErrors local;
  auto c = parse_config(*text, abs, local);
  // Syntax errors already name the file (it is their origin); path errors get it prefixed.
  for (const auto& e : local.items()) {
    if (e.rfind(abs, 0) == 0)
      errors.add(abs, e.substr(abs.size() + 2));
    else
      errors.add(abs, e);
  }
  return c;
}

}  // namespace toolgate
