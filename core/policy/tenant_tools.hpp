// Which tools each tenant may see and call (policy `tenants`):
//   "tenants": { "acme":    { "allowTools": ["dns_*", "ssl_certificate"] },
//                "sandbox": { "denyTools": ["delete_*"] },
//                "*":       { "denyTools": ["shell_exec"] } }
// Entries are exact tool names or globs (`*` any run of characters, `?` one character). A tenant
// with allowTools may use only matching tools; denyTools removes tools and wins over allowTools.
// A tenant without an entry of its own falls under "*"; without "*" either, nothing is removed.
// "*".denyTools binds every tenant, those with an entry included (a global ban stays global).
// Immutable after parsing; thread-safe to share.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/json_reader.hpp"

namespace toolgate {

struct TenantToolRule {
  std::optional<std::vector<std::string>> allow;  // absent: every tool
  std::vector<std::string> deny;
};

class TenantTools {
 public:
  TenantTools() = default;
  explicit TenantTools(std::map<std::string, TenantToolRule> rules) : rules_(std::move(rules)) {}

  // Empty when `tenant` may use `tool`; otherwise a sentence saying which rule refuses it.
  std::string refusal(const std::string& tenant, const std::string& tool) const;
  bool empty() const { return rules_.empty(); }

 private:
  std::map<std::string, TenantToolRule> rules_;
};

// `*` and `?` glob match over the whole name; other characters match themselves.
bool tool_glob_match(const std::string& pattern, const std::string& name);

// Reads the `tenants` object behind `r` (absent: no rules), reporting problems with their paths
// and calling r.finish().
TenantTools parse_tenant_tools(JsonObjectReader& r);

}  // namespace toolgate
