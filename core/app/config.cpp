#include "app/config.hpp"

#include <cstdlib>
#include <filesystem>

#include "app/policy_sections.hpp"
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

namespace {

std::string default_pins_file(const std::string& policy_file, const std::string& base_dir) {
  if (!policy_file.empty()) return (fs::path(base_dir) / "plugin-pins.json").string();
  if (const char* d = std::getenv("STATE_DIRECTORY"); d && *d) return (fs::path(d) / "plugin-pins.json").string();
  if (const char* d = std::getenv("XDG_STATE_HOME"); d && *d)
    return (fs::path(d) / "toolgate" / "plugin-pins.json").string();
  if (const char* d = std::getenv("HOME"); d && *d)
    return (fs::path(d) / ".local" / "state" / "toolgate" / "plugin-pins.json").string();
  return "";
}

void parse_plugin_trust(JsonObjectReader& plugins, Config& c, JsonErrors& errors) {
  PluginTrustConfig& t = c.plugin_trust;
  t.require_signed = plugins.boolean_or("requireSigned", false);
  if (const json::array* list = plugins.array("trustedPublishers")) {
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json::value& v = (*list)[i];
      std::string path = "$.plugins.trustedPublishers[" + std::to_string(i) + "]";
      TrustedPublisherSpec spec;
      if (v.is_string() && !v.get_string().empty()) {
        spec.file = resolve_path(c.base_dir, std::string(v.get_string()));
        spec.name = fs::path(spec.file).stem().string();
      } else if (v.is_object()) {
        JsonObjectReader e(&v.get_object(), path, errors);
        spec.name = e.string("name", true).value_or("");
        spec.file = resolve_path(c.base_dir, e.string_or("file", ""));
        spec.key_base64 = e.string_or("key", "");
        e.finish();
        if (spec.file.empty() == spec.key_base64.empty()) {
          errors.add(path, "expected exactly one of \"file\" (a public key file) or \"key\" (a base64 public key)");
        } else if (!spec.key_base64.empty()) {
          auto raw = base64_decode(spec.key_base64);
          if (!raw || raw->size() != 32)
            errors.add(path + ".key", "expected the base64 of a 32-byte Ed25519 public key (as `toolgate plugin keygen` prints it)");
        }
      } else {
        errors.add(path, "expected a public key file or {\"name\": ..., \"key\": <base64>} / {\"name\": ..., \"file\": ...}");
        continue;
      }
      t.trusted_publishers.push_back(spec);
    }
  }
  const json::value* pins = plugins.raw("pinsFile");
  if (!pins) {
    t.pins_file = default_pins_file(c.file, c.base_dir);
  } else if (pins->is_string() && !pins->get_string().empty()) {
    t.pins_file = resolve_path(c.base_dir, std::string(pins->get_string()));
  } else if (!(pins->is_bool() && !pins->get_bool())) {
    errors.add("$.plugins.pinsFile", "expected a file name, or false to turn pinning off");
  }
  if (const json::value* configs = plugins.raw("config")) {
    if (!configs->is_object()) {
      errors.add("$.plugins.config", "expected an object: plugin name -> the config object its init gets");
    } else {
      for (const auto& kv : configs->get_object()) {
        if (kv.value().is_object())
          t.plugin_configs[std::string(kv.key())] = kv.value().get_object();
        else
          errors.add("$.plugins.config." + std::string(kv.key()), "expected an object (the plugin's config)");
      }
    }
  }
  t.init_timeout_ms = plugins.integer_or("initTimeoutMs", t.init_timeout_ms, 0, 3'600'000);
  std::string on_change = plugins.string_or("onDefinitionChange", "refuse");
  if (on_change != "refuse" && on_change != "warn") errors.add("$.plugins.onDefinitionChange", "expected \"refuse\" or \"warn\"");
  t.refuse_definition_changes = on_change != "warn";
}

}  // namespace

// The `jobs` section. The state directory defaults to "state" beside the policy file; whether it
// was named matters: a named one that cannot be opened stops the start, the default one only
// disables jobs.
static void parse_jobs(JsonObjectReader& root, Config& c) {
  JsonObjectReader j = root.object("jobs");
  std::string dir = j.string_or("stateDirectory", "");
  c.jobs.state_directory_explicit = !dir.empty();
  c.jobs.state_directory = resolve_path(c.base_dir, dir.empty() ? "state" : dir);
  c.jobs.result_ttl_seconds = j.integer_or("resultTtlSeconds", c.jobs.result_ttl_seconds, 0, 365LL * 86'400);
  c.jobs.max_concurrent_per_principal =
      j.integer_or("maxConcurrentPerPrincipal", c.jobs.max_concurrent_per_principal, 1, 10'000);
  c.jobs.default_timeout_ms = j.integer_or("defaultTimeoutMs", c.jobs.default_timeout_ms, 1, 7LL * 86'400'000);
  c.jobs.workers = j.integer_or("workers", c.jobs.workers, 1, 256);
  c.jobs.poll_interval_ms = j.integer_or("pollIntervalMs", c.jobs.poll_interval_ms, 10, 3'600'000);
  j.finish();
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
  c.server.watch_plugins = plugins.boolean_or("watch", true);
  parse_plugin_trust(plugins, c, errors);
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
  c.server.watch_policy_file = s.boolean_or("watchPolicyFile", true);
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
  parse_jobs(r, c);
  c.tenant_tools = parse_tenant_tools(r);
  check_redact_section(r);
  for (const char* k : {"identity", "audit", "rateLimits"}) r.accept(k);
  r.finish();
  if (errors.items().size() != before) return std::nullopt;
  return c;
}

std::optional<Config> load_config(const std::string& file, JsonErrors& errors) {
  std::string abs = fs::absolute(file).lexically_normal().string();
  auto text = read_file(abs, errors, true);
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

const std::string& required_scope(const Config& config, const std::string& tool, const std::string& manifest_scope) {
  auto it = config.tools.find(tool);
  return it != config.tools.end() && it->second.scope ? *it->second.scope : manifest_scope;
}

}  // namespace toolgate
