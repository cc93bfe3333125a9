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

std::size_t ResponseRedaction::apply_to_text(const std::string& tool, json::value& text) const {
  if (!text.is_string()) return 0;
  const json::string& s = text.get_string();
  // Only documents can hold a field to redact; skipping other text avoids parsing prose.
  std::size_t first = 0;
  while (first < s.size() && (s[first] == ' ' || s[first] == '\t' || s[first] == '\n' || s[first] == '\r')) ++first;
  if (first == s.size() || (s[first] != '{' && s[first] != '[')) return 0;
  // Deeper than Boost.JSON's default of 32, as deep as a path walk can safely recurse. Text
  // nested deeper still is withheld: it could hide a field the rules name, and checking it
  // would take the walk too deep.
  json::parse_options opts;
  opts.max_depth = kMaxTextDepth;
  boost::system::error_code ec;
  json::value doc = json::parse(std::string_view(s), ec, {}, opts);
  if (ec == json::error::too_deep) {
    text = "[REDACTED: a JSON document nested more than " + std::to_string(kMaxTextDepth) +
           " levels deep, too deep to check for redacted fields]";
    return 1;
  }
  if (ec) return 0;  // not JSON after all: prose has no fields to redact
  std::size_t n = apply_paths(tool, doc);
  if (n) text = json::serialize(doc);
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
