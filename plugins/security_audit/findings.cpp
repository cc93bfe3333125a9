// Findings and check results as JSON (see findings.hpp).
#include "findings.hpp"

namespace toolgate::audit {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Info: return "info";
    case Severity::Low: return "low";
    case Severity::Medium: return "medium";
    case Severity::High: return "high";
    case Severity::Critical: return "critical";
  }
  return "info";
}

void CheckResult::settle() {
  if (status == "error") return;
  status = "pass";
  for (const auto& f : findings)
    if (f.severity >= Severity::Low) status = "fail";
}

boost::json::object CheckResult::to_json() const {
  boost::json::array list;
  for (const auto& f : findings)
    list.push_back(boost::json::object{{"check", check}, {"severity", severity_name(f.severity)}, {"id", f.id},
                                       {"message", f.message}});
  return boost::json::object{{"check", check}, {"status", status}, {"findings", std::move(list)}, {"details", details}};
}

}  // namespace toolgate::audit
