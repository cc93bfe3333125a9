// Scope matching: does a principal's list of grants cover the scope a tool requires?
// A grant matches exactly, or by wildcard segments: "*" matches everything, "dns.*" matches any
// scope under dns ("dns.read", "dns.zone.write"), "*.read" matches the read scope of any area.
// An empty required scope is never granted: a tool must name the scope it needs (or the policy
// must name one for it), so nothing is allowed implicitly. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace toolgate {

bool scope_matches(const std::string& grant, const std::string& required);
bool scope_granted(const std::vector<std::string>& grants, const std::string& required);

}  // namespace toolgate
