#include "app/policy_sections.hpp"

#include "audit/audit_config.hpp"
#include "audit/redactor.hpp"
#include "identity/identity_config.hpp"
#include "ratelimit/limits.hpp"

namespace toolgate {

namespace {
void non_empty_items(JsonObjectReader& r, const std::string& key, const std::vector<std::string>& items,
                     const char* what) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].empty()) r.errors().add(r.child_path(key) + "[" + std::to_string(i) + "]", std::string("expected ") + what);
}
}  // namespace

void check_redact_section(JsonObjectReader& root) {
  JsonObjectReader r = root.object("redact");
  if (!r.present()) return;
  if (auto keys = r.string_array("extraKeys")) non_empty_items(r, "extraKeys", *keys, "a non-empty key");
  if (auto patterns = r.string_array("extraPatterns"))
    for (std::size_t i = 0; i < patterns->size(); ++i)
      if (auto err = Redactor::pattern_error((*patterns)[i]))
        r.errors().add(r.child_path("extraPatterns") + "[" + std::to_string(i) + "]", "invalid regular expression: " + *err);
  if (auto paths = r.string_array("response")) non_empty_items(r, "response", *paths, "a non-empty path");
  if (const boost::json::value* per_tool = r.raw("perTool")) {
    if (!per_tool->is_object()) {
      r.errors().add(r.child_path("perTool"), "expected an object of tool names");
    } else {
      JsonObjectReader tools(&per_tool->get_object(), r.child_path("perTool"), r.errors());
      for (const auto& kv : per_tool->get_object()) {
        std::string tool(kv.key());
        if (auto paths = tools.string_array(tool, true)) non_empty_items(tools, tool, *paths, "a non-empty path");
      }
      tools.finish();
    }
  }
  r.finish();
}

bool check_area_sections(const Config& config, JsonErrors& errors) {
  std::size_t before = errors.items().size();
  JsonObjectReader root(&config.raw, "$", errors);
  JsonObjectReader identity = root.object("identity");
  parse_identity_config(identity, config.base_dir);
  JsonObjectReader limits = root.object("rateLimits");
  read_rate_limit_config(limits);
  JsonObjectReader audit = root.object("audit");
  parse_audit_config(audit, config.base_dir);
  return errors.items().size() == before;
}

}  // namespace toolgate
