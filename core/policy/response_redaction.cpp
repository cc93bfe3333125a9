#include "policy/response_redaction.hpp"

namespace toolgate {

namespace json = boost::json;

ResponseRedaction::ResponseRedaction(std::vector<RedactionPath> global,
                                     std::map<std::string, std::vector<RedactionPath>> per_tool)
    : global_(std::move(global)), per_tool_(std::move(per_tool)) {}

bool ResponseRedaction::none_for(const std::string& tool) const {
  return global_.empty() && per_tool_.find(tool) == per_tool_.end();
}

std::size_t ResponseRedaction::apply_paths(const std::string& tool, json::value& v) const {
  std::size_t n = 0;
  for (const auto& p : global_) n += p.apply(v);
  if (auto it = per_tool_.find(tool); it != per_tool_.end())
    for (const auto& p : it->second) n += p.apply(v);
  return n;
}

namespace {
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Past a byte order mark and whitespace: where a JSON document in `s` would start.
std::size_t document_start(std::string_view s) {
  std::size_t i = s.substr(0, kUtf8Bom.size()) == kUtf8Bom ? kUtf8Bom.size() : 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}
}  // namespace

// Redacts `s` if it is one JSON document. nullopt: not JSON; else the count, with `s` rewritten
// when anything was redacted (or withheld whole when too deep to check).
std::optional<std::size_t> ResponseRedaction::redact_document(const std::string& tool, std::string& s) const {
  std::size_t first = document_start(s);
  if (first == s.size() || (s[first] != '{' && s[first] != '[')) return std::nullopt;
  // Deeper than Boost.JSON's default of 32, as deep as a path walk can safely recurse. Text
  // nested deeper still is withheld: it could hide a field the rules name, and checking it
  // would take the walk too deep.
  json::parse_options opts;
  opts.max_depth = kMaxTextDepth;
  boost::system::error_code ec;
  json::value doc = json::parse(std::string_view(s).substr(first), ec, {}, opts);
  if (ec == json::error::too_deep) {
    s = "[REDACTED: a JSON document nested more than " + std::to_string(kMaxTextDepth) +
        " levels deep, too deep to check for redacted fields]";
    return 1;
  }
  if (ec) return std::nullopt;
  std::size_t n = apply_paths(tool, doc);
  if (n) s = json::serialize(doc);
  return n;
}

std::size_t ResponseRedaction::apply_to_text(const std::string& tool, json::value& text) const {
  if (!text.is_string()) return 0;
  const json::string& js = text.get_string();
  // Only documents can hold a field to redact; skipping other text avoids parsing prose.
  std::size_t first = document_start(std::string_view(js.data(), js.size()));
  if (first == js.size() || (js[first] != '{' && js[first] != '[')) return 0;
  std::string s(js.data(), js.size());
  std::size_t n = apply_to_string(tool, s);
  if (n) text = s;
  return n;
}

std::size_t ResponseRedaction::apply_to_string(const std::string& tool, std::string& s) const {
  std::size_t first = document_start(s);
  if (first == s.size() || (s[first] != '{' && s[first] != '[')) return 0;
  if (auto n = redact_document(tool, s)) return *n;
  // Not one document. JSON Lines (one document per line, as logs and exports are written) is
  // redacted line by line; other lines pass as they are.
  std::size_t n = 0;
  std::string out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t nl = s.find('\n', start);
    std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (auto k = redact_document(tool, line)) n += *k;
    out += line;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
  }
  if (n) s = out;
  return n;
}

std::size_t ResponseRedaction::apply_to_result(const std::string& tool, json::object& result) const {
  if (none_for(tool)) return 0;
  std::size_t n = 0;
  if (auto* sc = result.if_contains("structuredContent")) n += apply_paths(tool, *sc);
  if (auto* content = result.if_contains("content"); content && content->is_array()) {
    for (auto& item : content->get_array()) {
      auto* o = item.if_object();
      if (!o) continue;
      if (auto* text = o->if_contains("text")) n += apply_to_text(tool, *text);
      if (auto* res = o->if_contains("resource"); res && res->is_object())
        if (auto* text = res->get_object().if_contains("text")) n += apply_to_text(tool, *text);
    }
  }
  return n;
}

std::size_t ResponseRedaction::apply_to_value(const std::string& tool, json::value& value) const {
  if (none_for(tool)) return 0;
  if (auto* o = value.if_object(); o && (o->contains("structuredContent") || o->contains("content")))
    return apply_to_result(tool, *o);  // a partial shaped like a CallToolResult
  return apply_paths(tool, value);
}

namespace {

std::vector<RedactionPath> read_paths(JsonObjectReader& r, const std::string& key) {
  std::vector<RedactionPath> out;
  const json::array* list = r.array(key);
  if (!list) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string where = r.child_path(key) + "[" + std::to_string(i) + "]";
    const json::value& v = (*list)[i];
    if (!v.is_string()) {
      r.errors().add(where, "expected a path string such as \"$.data.password\"");
      continue;
    }
    std::string error;
    if (auto p = RedactionPath::parse(v.get_string(), error))
      out.push_back(std::move(*p));
    else
      r.errors().add(where, "invalid path \"" + std::string(v.get_string()) + "\": " + error);
  }
  return out;
}

}  // namespace

ResponseRedaction parse_response_redaction(JsonObjectReader& r) {
  std::vector<RedactionPath> global = read_paths(r, "response");
  std::map<std::string, std::vector<RedactionPath>> per_tool;
  JsonObjectReader tools = r.object("perTool");
  if (tools.present()) {
    for (const auto& kv : *r.raw("perTool")->if_object()) {
      std::string name(kv.key());
      if (name.empty()) {
        tools.accept(name);
        tools.errors().add(tools.path(), "expected tool names as keys, got an empty one");
        continue;
      }
      auto paths = read_paths(tools, name);
      if (!paths.empty()) per_tool[name] = std::move(paths);
    }
  }
  tools.finish();
  r.finish();
  return ResponseRedaction(std::move(global), std::move(per_tool));
}

}  // namespace toolgate
