#include "registry/manifest.hpp"

#include "util/digest.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

std::optional<bool> hint(const std::optional<json::object>& annotations, const char* key) {
  if (!annotations) return std::nullopt;
  auto it = annotations->find(key);
  if (it == annotations->end() || !it->value().is_bool()) return std::nullopt;
  return it->value().get_bool();
}

bool is_write_scope(const std::string& scope) {
  for (const char* suffix : {".write", ".delete", ".admin", ".destroy"}) {
    std::string s(suffix);
    if (scope.size() >= s.size() && scope.compare(scope.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

void parse_annotations(JsonObjectReader& tool, ToolManifest& t) {
  JsonObjectReader a = tool.object("annotations");
  if (!a.present()) return;
  a.string("title");
  for (const char* k : {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}) a.boolean(k);
  a.finish();
  t.annotations = tool.raw("annotations")->get_object();
}

// Annotation honesty: a client shows these hints to people deciding what to allow, so a plugin
// whose hints contradict each other or its scope is refused rather than trusted.
void check_annotation_rules(const ToolManifest& t, const std::string& path, JsonErrors& errors) {
  if (t.read_only()) {
    if (hint(t.annotations, "destructiveHint").value_or(false))
      errors.add(path + ".annotations", "a readOnlyHint tool cannot also be destructiveHint (rule: read-only tools are not destructive)");
    if (is_write_scope(t.scope))
      errors.add(path + ".scope", "a readOnlyHint tool cannot require the write scope '" + t.scope +
                                      "' (rule: read-only tools require read scopes)");
  } else if (!hint(t.annotations, "destructiveHint").has_value()) {
    errors.add(path + ".annotations", "a tool that is not readOnlyHint must state destructiveHint explicitly (rule: no implicit destructive default)");
  }
}

void parse_tool(const json::value& v, const std::string& path, PluginManifest& m, JsonErrors& errors) {
  if (!v.is_object()) {
    errors.add(path, "expected an object");
    return;
  }
  JsonObjectReader r(&v.get_object(), path, errors);
  ToolManifest t;
  t.name = r.string("name", true).value_or("");
  if (r.has("name") && !valid_tool_name(t.name))
    errors.add(path + ".name", "expected 1-128 characters of A-Z a-z 0-9 _ . -");
  t.title = r.string_or("title", "");
  t.description = r.string("description", true).value_or("");
  if (const json::value* s = r.raw("inputSchema", true)) {
    if (!s->is_object() || !s->get_object().contains("type") || s->get_object().at("type") != "object")
      errors.add(path + ".inputSchema", "expected a JSON Schema object with \"type\": \"object\"");
    else
      t.input_schema = s->get_object();
  }
  if (const json::value* s = r.raw("outputSchema")) {
    if (!s->is_object() || !s->get_object().contains("type") || s->get_object().at("type") != "object")
      errors.add(path + ".outputSchema", "expected a JSON Schema object with \"type\": \"object\"");
    else
      t.output_schema = s->get_object();
  }
  t.scope = r.string_or("scope", "");
  parse_annotations(r, t);
  if (const json::value* icons = r.raw("icons")) {
    if (!icons->is_array())
      errors.add(path + ".icons", "expected an array");
    else
      t.icons = icons->get_array();
  }
  JsonObjectReader rl = r.object("rateLimit");
  if (rl.present()) {
    ToolRateLimit lim;
    lim.burst = rl.integer("burst", 1, 1'000'000, true).value_or(1);
    lim.per_second = rl.number("perSecond", 1e-6, 1e6, true).value_or(1);
    rl.finish();
    t.rate_limit = lim;
  }
  t.timeout_ms = r.integer_or("timeoutMs", 0, 1, 24LL * 3600 * 1000);
  t.execution = r.string_or("execution", "sync");
  if (t.execution != "sync" && t.execution != "job") errors.add(path + ".execution", "expected \"sync\" or \"job\"");
  t.estimated_seconds = r.integer_or("estimatedSeconds", 0, 0, 7 * 24 * 3600);
  t.task_support = r.string_or("taskSupport", t.execution == "job" ? "optional" : "forbidden");
  if (t.task_support != "forbidden" && t.task_support != "optional" && t.task_support != "required")
    errors.add(path + ".taskSupport", "expected \"forbidden\", \"optional\" or \"required\"");
  r.finish();
  check_annotation_rules(t, path, errors);
  for (const auto& other : m.tools)
    if (other.name == t.name) errors.add(path + ".name", "duplicate tool name '" + t.name + "' in this manifest");
  m.tools.push_back(std::move(t));
}

}  // namespace

bool ToolManifest::read_only() const { return hint(annotations, "readOnlyHint").value_or(false); }
bool ToolManifest::destructive() const {
  // MCP's default for destructiveHint is true when a tool is not read-only.
  return !read_only() && hint(annotations, "destructiveHint").value_or(true);
}

bool valid_tool_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

std::optional<PluginManifest> parse_manifest(const std::string& text, const std::string& file, JsonErrors& out) {
  JsonErrors errors;
  auto doc = parse_json_text(text, "$", errors);
  PluginManifest m;
  m.file = file;
  m.digest = sha256_hex(text);
  if (doc && !doc->is_object()) errors.add("$", "expected an object");
  if (doc && doc->is_object()) {
    JsonObjectReader r(&doc->get_object(), "$", errors);
    r.accept("$schema");
    r.integer("manifestVersion", 1, 1, true);
    m.name = r.string("name", true).value_or("");
    m.version = r.string("version", true).value_or("");
    m.description = r.string_or("description", "");
    m.library = r.string("library", true).value_or("");
    if (!m.library.empty() && (m.library.find('/') != std::string::npos || m.library == ".." || m.library[0] == '.'))
      errors.add("$.library", "expected a plain file name inside the plugin directory");
    // Shape only; whether it verifies is the trust check's job (registry/signature.hpp).
    JsonObjectReader sig = r.object("signature");
    if (sig.present()) {
      for (const char* k : {"keyId", "algorithm", "value"}) sig.string(k, true);
      sig.finish();
    }
    m.sha256 = r.string("sha256", true).value_or("");
    if (r.has("sha256") && (m.sha256.size() != 64 || m.sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
      errors.add("$.sha256", "expected 64 lower-case hex digits (run `toolgate manifest hash`)");
    JsonObjectReader abi = r.object("abi", true);
    m.abi_major = static_cast<std::uint32_t>(abi.integer("major", 0, 1000, true).value_or(0));
    m.abi_minor = static_cast<std::uint32_t>(abi.integer("minor", 0, 1000000).value_or(0));
    abi.finish();
    if (const json::value* c = r.raw("config")) {
      if (c->is_object())
        m.config = c->get_object();
      else
        errors.add("$.config", "expected an object");
    }
    if (const json::array* tools = r.array("tools", true)) {
      if (tools->empty()) errors.add("$.tools", "expected at least one tool");
      for (std::size_t i = 0; i < tools->size(); ++i)
        parse_tool((*tools)[i], "$.tools[" + std::to_string(i) + "]", m, errors);
    }
    r.finish();
  }
  if (!errors.empty()) {
    for (const auto& e : errors.items()) out.add(file, e);
    return std::nullopt;
  }
  return m;
}

}  // namespace toolgate
