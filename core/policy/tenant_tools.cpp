#include "policy/tenant_tools.hpp"

namespace toolgate {

bool tool_glob_match(const std::string& pattern, const std::string& name) {
  // Iterative matcher with one backtrack point: linear enough for tool names, no recursion.
  std::size_t p = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {
const std::string* first_match(const std::vector<std::string>& patterns, const std::string& tool) {
  for (const auto& p : patterns)
    if (tool_glob_match(p, tool)) return &p;
  return nullptr;
}
}  // namespace

std::string TenantTools::refusal(const std::string& tenant, const std::string& tool) const {
  // "*".denyTools is a ban for every tenant, those with an entry of their own included: a
  // tenant's own list adds to it, never lifts it. ("*".allowTools only stands in for tenants
  // without an entry.)
  if (auto all = rules_.find("*"); all != rules_.end() && tenant != "*")
    if (const std::string* p = first_match(all->second.deny, tool))
      return "tool " + tool + " is forbidden for tenant '" + tenant + "' by the policy (tenants.*.denyTools: \"" + *p +
             "\")";
  auto it = rules_.find(tenant);
  std::string key = "tenants." + tenant;
  if (it == rules_.end()) {
    it = rules_.find("*");
    key = "tenants.*";
  }
  if (it == rules_.end()) return "";
  const TenantToolRule& rule = it->second;
  if (const std::string* p = first_match(rule.deny, tool))
    return "tool " + tool + " is forbidden for tenant '" + tenant + "' by the policy (" + key + ".denyTools: \"" + *p +
           "\")";
  if (rule.allow && !first_match(*rule.allow, tool))
    return "tool " + tool + " is forbidden for tenant '" + tenant + "' by the policy (not in " + key + ".allowTools)";
  return "";
}

namespace {
std::vector<std::string> read_patterns(JsonObjectReader& r, const std::string& key) {
  std::vector<std::string> out;
  auto list = r.string_array(key);
  if (!list) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    if ((*list)[i].empty())
      r.errors().add(r.child_path(key) + "[" + std::to_string(i) + "]", "expected a tool name or glob, got \"\"");
    else
      out.push_back((*list)[i]);
  }
  return out;
}
}  // namespace

TenantTools parse_tenant_tools(JsonObjectReader& root) {
  std::map<std::string, TenantToolRule> rules;
  const boost::json::value* v = root.raw("tenants");
  if (!v) return TenantTools();
  std::string path = root.child_path("tenants");
  if (!v->is_object()) {
    root.errors().add(path, "expected an object of tenant names");
    return TenantTools();
  }
  JsonObjectReader tenants(&v->get_object(), path, root.errors());
  for (const auto& kv : v->get_object()) {
    std::string name(kv.key());
    JsonObjectReader t = tenants.object(name, true);
    if (name.empty()) root.errors().add(t.path(), "expected a non-empty tenant name");
    if (!t.present()) continue;
    TenantToolRule rule;
    if (t.has("allowTools")) rule.allow = read_patterns(t, "allowTools");
    rule.deny = read_patterns(t, "denyTools");
    t.finish();
    rules.emplace(name, std::move(rule));
  }
  tenants.finish();
  return TenantTools(std::move(rules));
}

}  // namespace toolgate
