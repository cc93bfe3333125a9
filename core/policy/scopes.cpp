#include "policy/scopes.hpp"

namespace toolgate {

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}
}  // namespace

bool scope_matches(const std::string& grant, const std::string& required) {
  if (required.empty() || grant.empty()) return false;
  if (grant == "*" || grant == required) return true;
  std::vector<std::string> g = split(grant), r = split(required);
  // A trailing "*" covers any number of remaining segments ("dns.*" covers "dns.zone.write").
  if (g.back() == "*" && g.size() >= 2 && r.size() >= g.size()) {
    for (std::size_t i = 0; i + 1 < g.size(); ++i)
      if (g[i] != "*" && g[i] != r[i]) return false;
    return true;
  }
  if (g.size() != r.size()) return false;
  for (std::size_t i = 0; i < g.size(); ++i)
    if (g[i] != "*" && g[i] != r[i]) return false;
  return true;
}

bool scope_granted(const std::vector<std::string>& grants, const std::string& required) {
  for (const auto& g : grants)
    if (scope_matches(g, required)) return true;
  return false;
}

}  // namespace toolgate
