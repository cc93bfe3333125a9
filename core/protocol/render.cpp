#include "protocol/render.hpp"

#include "policy/redaction_schema.hpp"
#include "policy/response_redaction.hpp"
#include "protocol/versions.hpp"

#include <optional>

namespace toolgate {

namespace json = boost::json;

namespace {
// The outputSchema as clients may see it under `redaction`; nullopt when it cannot be vouched
// for (a rule's path runs through a $ref), in which case none is advertised: a schema the
// redacted results might break is worse than no schema.
std::optional<json::value> shown_output_schema(const ToolManifest& t, const ResponseRedaction* redaction) {
  json::value schema = *t.output_schema;
  if (!redaction || redaction->none_for(t.name)) return schema;
  bool ok = true;
  for (const auto& p : redaction->global()) ok = admit_redaction_mark(p, schema) && ok;
  if (auto it = redaction->per_tool().find(t.name); it != redaction->per_tool().end())
    for (const auto& p : it->second) ok = admit_redaction_mark(p, schema) && ok;
  if (!ok) return std::nullopt;
  return schema;
}
}  // namespace

json::object render_tool(const ToolManifest& t, const std::string& version, const ResponseRedaction* redaction) {
  VersionFeatures f = features_of(version);
  json::object o;
  o["name"] = t.name;
  if (f.title && !t.title.empty()) o["title"] = t.title;
  o["description"] = t.description;
  o["inputSchema"] = t.input_schema;
  // A job tool answers with a job handle, not its output: advertising the outputSchema would
  // make clients that validate structuredContent reject the handle.
  if (f.title && t.output_schema && t.execution != "job")
    if (auto schema = shown_output_schema(t, redaction)) o["outputSchema"] = std::move(*schema);
  if (f.annotations && t.annotations) o["annotations"] = *t.annotations;
  if (f.icons && t.icons) o["icons"] = *t.icons;
  if (f.execution) o["execution"] = json::object{{"taskSupport", t.task_support}};
  return o;
}

void adapt_result(json::object& result, const std::string& version) {
  VersionFeatures f = features_of(version);
  if (f.title) return;  // 2025-06-18 and later understand everything we produce
  json::array* content = nullptr;
  if (auto it = result.find("content"); it != result.end() && it->value().is_array()) content = &it->value().get_array();
  bool has_text = false;
  if (content) {
    for (auto& item : *content) {
      if (!item.is_object()) continue;
      json::object& c = item.get_object();
      const json::value* type = c.if_contains("type");
      if (!type || !type->is_string()) continue;
      if (*type == "text") has_text = true;
      if (*type == "resource_link") {
        // Older clients only know embedded resources; describe the link in words instead.
        std::string text = "resource: ";
        if (auto* u = c.if_contains("uri"); u && u->is_string()) text += u->get_string();
        if (auto* n = c.if_contains("name"); n && n->is_string()) text += std::string(" (") + n->get_string().c_str() + ")";
        item = json::object{{"type", "text"}, {"text", text}};
        has_text = true;
      } else if (*type == "audio" && !f.annotations) {
        std::string mime = c.contains("mimeType") && c["mimeType"].is_string() ? std::string(c["mimeType"].get_string()) : "audio";
        item = json::object{{"type", "text"}, {"text", "[" + mime + " audio omitted: this client's protocol version has no audio content]"}};
        has_text = true;
      }
    }
  }
  if (auto it = result.find("structuredContent"); it != result.end()) {
    if (!has_text && content) content->push_back(json::object{{"type", "text"}, {"text", json::serialize(it->value())}});
    result.erase(it);
  }
}

}  // namespace toolgate
