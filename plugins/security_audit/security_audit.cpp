// security_audit plugin: start_security_audit runs as a job (the manifest says
// "execution": "job") across four checks of a domain: DNS (A, AAAA, MX, NS), the TLS certificate
// on its HTTPS port, SPF and DMARC. After each check it reports progress and emits that check's
// result as a partial result, so a poller (job_status, job_partial_results) sees the audit grow;
// it looks at cancellation before every check and during the TLS handshake. The final result
// lists every finding, worst first, with a count per severity. Read-only: lookups and one TLS
// handshake, nothing else. Config (manifest "config"): nameserver ("a.b.c.d[:port]", default
// the system's), timeoutSeconds (1-30, DNS, default 2), attempts (1-5, default 2),
// tlsTimeoutSeconds (1-60, default 10).
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "checks.hpp"
#include "tls_fetch.hpp"

namespace json = boost::json;
using namespace toolgate::audit;

namespace {

// Fixed by init before any call; read-only afterwards.
AuditOptions g_options;

const std::vector<std::string>& all_checks() {
  static const std::vector<std::string> checks = {"dns", "ssl", "spf", "dmarc"};
  return checks;
}

int bounded_int(const json::value& v, const char* key, int lo, int hi) {
  if (!v.is_int64() || v.as_int64() < lo || v.as_int64() > hi)
    throw std::invalid_argument(std::string("security_audit config: \"") + key + "\" must be an integer from " +
                                std::to_string(lo) + " to " + std::to_string(hi));
  return static_cast<int>(v.as_int64());
}

void configure(std::string_view config_json) {
  AuditOptions o;
  json::value cfg = config_json.empty() ? json::value(json::object()) : json::parse(config_json);
  if (!cfg.is_object()) throw std::invalid_argument("security_audit config: expected a JSON object");
  for (const auto& [key, value] : cfg.as_object()) {
    if (key == "nameserver") {
      if (!value.is_string()) throw std::invalid_argument("security_audit config: \"nameserver\" must be a string");
      toolgate::dns::parse_nameserver(std::string(value.as_string()), o.resolver);
    } else if (key == "timeoutSeconds") {
      o.resolver.timeout_seconds = bounded_int(value, "timeoutSeconds", 1, 30);
    } else if (key == "attempts") {
      o.resolver.attempts = bounded_int(value, "attempts", 1, 5);
    } else if (key == "tlsTimeoutSeconds") {
      o.tls_timeout_seconds = bounded_int(value, "tlsTimeoutSeconds", 1, 60);
    } else {
      throw std::invalid_argument("security_audit config: unknown key \"" + std::string(key) +
                                  "\" (expected nameserver, timeoutSeconds, attempts, tlsTimeoutSeconds)");
    }
  }
  g_options = o;
}

CheckResult run_check(const std::string& name, const std::string& domain, int port, toolgate::Call& call) {
  if (name == "dns") return check_dns(g_options, domain);
  if (name == "ssl") return check_ssl(g_options, domain, port, [&call] { return call.cancelled(); });
  if (name == "spf") return check_spf(g_options, domain);
  return check_dmarc(g_options, domain);
}

std::string summary_text(const std::string& domain, const json::object& counts, const std::vector<json::object>& findings) {
  std::string s = "Security audit of " + domain + ": ";
  std::string parts;
  for (const char* sev : {"critical", "high", "medium", "low", "info"})
    if (counts.at(sev).as_int64() > 0)
      parts += (parts.empty() ? "" : ", ") + std::to_string(counts.at(sev).as_int64()) + " " + sev;
  s += parts.empty() ? "no findings" : parts;
  for (const auto& f : findings)
    s += "\n  [" + std::string(f.at("severity").as_string()) + "] " + std::string(f.at("check").as_string()) + ": " +
         std::string(f.at("message").as_string());
  return s;
}

toolgate::Result start_security_audit(toolgate::Call& call, std::string_view args_json) {
  // The host validated the arguments against the manifest's inputSchema.
  json::object args = json::parse(args_json).as_object();
  std::string domain(args.at("domain").as_string());
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  std::transform(domain.begin(), domain.end(), domain.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  int port = args.contains("port") ? static_cast<int>(args.at("port").to_number<std::int64_t>()) : 443;
  std::vector<std::string> checks;
  if (const json::value* c = args.if_contains("checks")) {
    for (const auto& name : all_checks())  // run order is fixed, whatever order was asked for
      for (const auto& v : c->as_array())
        if (v.as_string() == name && std::find(checks.begin(), checks.end(), name) == checks.end()) checks.push_back(name);
  } else {
    checks = all_checks();
  }
  if (checks.empty()) return toolgate::Result::error("\"checks\" must name at least one of dns, ssl, spf, dmarc");

  json::array results;
  std::vector<json::object> findings;
  auto stopped = [&](std::size_t done) {
    return toolgate::Result::error("the audit of " + domain + " was cancelled after " + std::to_string(done) + " of " +
                                   std::to_string(checks.size()) + " checks");
  };
  for (std::size_t i = 0; i < checks.size(); ++i) {
    if (call.cancelled()) return stopped(i);
    CheckResult r;
    try {
      r = run_check(checks[i], domain, port, call);
    } catch (const toolgate::ssl::FetchStopped&) {
      return stopped(i);
    }
    json::object out = r.to_json();
    for (const auto& f : out.at("findings").as_array()) findings.push_back(f.as_object());
    call.partial(json::serialize(out));
    call.progress(static_cast<double>(i + 1), static_cast<double>(checks.size()),
                  checks[i] + " checked: " + std::to_string(r.findings.size()) + " finding(s)");
    results.push_back(std::move(out));
  }

  auto rank = [](const json::object& f) {
    static const std::vector<std::string> order = {"critical", "high", "medium", "low", "info"};
    return std::find(order.begin(), order.end(), std::string(f.at("severity").as_string())) - order.begin();
  };
  std::stable_sort(findings.begin(), findings.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  json::object counts{{"critical", 0}, {"high", 0}, {"medium", 0}, {"low", 0}, {"info", 0}};
  for (const auto& f : findings) counts[f.at("severity").as_string()] = counts[f.at("severity").as_string()].as_int64() + 1;
  json::array finding_list(findings.begin(), findings.end());
  json::object result{{"domain", domain},
                      {"port", port},
                      {"checks", std::move(results)},
                      {"findings", std::move(finding_list)},
                      {"summary", counts},
                      {"highestSeverity", findings.empty() ? json::value(nullptr) : findings.front().at("severity")}};
  return toolgate::Result::text(summary_text(domain, counts, findings)).set_structured(json::serialize(result));
}

}  // namespace

TOOLGATE_PLUGIN("security_audit", "1.0.0") {
  plugin.on_init([](const tg_host_api*, std::string_view config) { configure(config); });
  plugin.tool("start_security_audit", start_security_audit);
}
