// What a security audit check reports: findings with a severity, and each check's result as
// the JSON the tool emits as a partial result and includes in its final result.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace toolgate::audit {

enum class Severity { Info = 0, Low, Medium, High, Critical };
const char* severity_name(Severity s);

struct Finding {
  Severity severity = Severity::Info;
  std::string id;       // stable, machine-readable: "spf.plus_all"
  std::string message;  // one sentence for a person or a model
};

struct CheckResult {
  std::string check;  // dns, ssl, spf, dmarc
  // "error" when the check could not be completed (a lookup failed), else "fail" when a finding
  // is low or worse, else "pass".
  std::string status = "pass";
  boost::json::object details;
  std::vector<Finding> findings;

  void add(Severity s, std::string id, std::string message) {
    findings.push_back(Finding{s, std::move(id), std::move(message)});
  }
  // Sets status from the findings unless it is already "error".
  void settle();
  boost::json::object to_json() const;
};

}  // namespace toolgate::audit
