#include "app/policy_tool_names.hpp"

#include "jobs/job_tools.hpp"

namespace toolgate {

namespace json = boost::json;

std::vector<std::string> unknown_policy_tools(const Config& config, const ToolTable& table) {
  struct Section {
    const char* outer;
    const char* inner;  // nullptr: the outer section itself maps tool names
  };
  std::vector<std::string> out;
  for (const Section& s : {Section{"tools", nullptr}, Section{"rateLimits", "perTool"}, Section{"redact", "perTool"},
                           Section{"consent", "tools"}}) {
    const json::value* v = config.raw.if_contains(s.outer);
    if (v && v->is_object() && s.inner) v = v->get_object().if_contains(s.inner);
    if (!v || !v->is_object()) continue;
    std::string path = std::string("$.") + s.outer + (s.inner ? std::string(".") + s.inner : std::string());
    for (const auto& kv : v->get_object()) {
      std::string name(kv.key());
      if (table.find(name) || is_job_tool(name)) continue;
      out.push_back(path + "." + name + ": no loaded plugin provides a tool named '" + name +
                    "', so this entry has no effect (a typo? plugins dropped in later are matched then)");
    }
  }
  return out;
}

}  // namespace toolgate
