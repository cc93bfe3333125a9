// The security audit's checks (see checks.hpp).
#include "checks.hpp"

#include "cert_info.hpp"
#include "mail_records.hpp"
#include "tls_fetch.hpp"

namespace toolgate::audit {

namespace json = boost::json;
using dns::ResolveError;

namespace {

// One lookup's records; NoSuchDomain and NoData become an empty list with `kind` set, a failed
// lookup sets `failure`.
struct Lookup {
  std::vector<dns::Record> records;
  std::optional<ResolveError::Kind> kind;
  std::string failure;
};

Lookup lookup(const AuditOptions& o, const std::string& name, const std::string& type) {
  Lookup out;
  try {
    out.records = dns::resolve(o.resolver, name, type).records;
  } catch (const ResolveError& e) {
    out.kind = e.kind();
    if (e.kind() == ResolveError::Kind::Failure) out.failure = e.what();
  } catch (const std::invalid_argument& e) {
    out.kind = ResolveError::Kind::Failure;
    out.failure = e.what();
  }
  return out;
}

json::array values(const Lookup& l) {
  json::array a;
  for (const auto& r : l.records) a.push_back(json::string(r.value));
  return a;
}

// The TXT lookup the SPF and DMARC checks share; false (with an error finding) when it failed.
bool txt_lookup(const AuditOptions& o, const std::string& name, CheckResult& r, std::vector<std::string>& out) {
  Lookup l = lookup(o, name, "TXT");
  if (!l.failure.empty()) {
    r.status = "error";
    r.add(Severity::Medium, r.check + ".lookup_failed", "could not read the TXT records of " + name + ": " + l.failure);
    return false;
  }
  for (const auto& rec : l.records) out.push_back(rec.value);
  return true;
}

std::string plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

CheckResult check_dns(const AuditOptions& o, const std::string& domain) {
  CheckResult r;
  r.check = "dns";
  Lookup a = lookup(o, domain, "A");
  if (a.kind == ResolveError::Kind::NoSuchDomain) {
    r.details = {{"exists", false}};
    r.add(Severity::Critical, "dns.nxdomain", domain + " does not exist in DNS (NXDOMAIN)");
    r.settle();
    return r;
  }
  Lookup aaaa = lookup(o, domain, "AAAA");
  Lookup mx = lookup(o, domain, "MX");
  Lookup ns = lookup(o, domain, "NS");

  json::array mx_list;
  for (const auto& rec : mx.records)
    mx_list.push_back(json::object{{"priority", rec.priority.value_or(0)}, {"host", rec.value}});
  json::object errors;
  for (auto [type, l] : {std::pair{"A", &a}, std::pair{"AAAA", &aaaa}, std::pair{"MX", &mx}, std::pair{"NS", &ns}})
    if (!l->failure.empty()) {
      errors[type] = l->failure;
      r.add(Severity::Medium, "dns.lookup_failed", l->failure);
    }
  r.details = {{"exists", true}, {"a", values(a)}, {"aaaa", values(aaaa)}, {"mx", std::move(mx_list)},
               {"ns", values(ns)}};
  if (!errors.empty()) r.details["errors"] = std::move(errors);

  if (a.failure.empty() && aaaa.failure.empty() && a.records.empty() && aaaa.records.empty())
    r.add(Severity::High, "dns.no_address", domain + " has no A or AAAA records, so nothing can connect to it");
  else if (aaaa.failure.empty() && aaaa.records.empty())
    r.add(Severity::Info, "dns.no_ipv6", domain + " has no AAAA records (not reachable over IPv6)");
  if (mx.failure.empty() && mx.records.empty())
    r.add(Severity::Info, "dns.no_mx", domain + " has no MX records, so it receives no mail");
  if (ns.failure.empty() && ns.records.empty())
    r.add(Severity::Info, "dns.no_ns", domain + " has no NS records of its own (it is not a zone apex)");
  else if (ns.records.size() == 1)
    r.add(Severity::Low, "dns.single_ns", domain + " has a single nameserver: no redundancy if it fails");
  if (!errors.empty()) r.status = "error";
  r.settle();
  return r;
}

CheckResult check_ssl(const AuditOptions& o, const std::string& domain, int port,
                      const std::function<bool()>& should_stop) {
  CheckResult r;
  r.check = "ssl";
  // Connect where the audited DNS says the domain is, not wherever the host's resolver points.
  std::string connect_to = domain;
  for (const char* type : {"A", "AAAA"}) {
    Lookup l = lookup(o, domain, type);
    if (!l.records.empty()) {
      connect_to = l.records.front().value;
      break;
    }
  }
  r.details = {{"host", domain}, {"port", port}};
  ssl::TlsPeer peer;
  try {
    peer = ssl::fetch_chain(connect_to, port, domain, o.tls_timeout_seconds, should_stop);
  } catch (const ssl::FetchStopped&) {
    throw;
  } catch (const std::exception& e) {
    r.details["error"] = e.what();
    r.add(Severity::High, "ssl.unreachable", "no TLS certificate could be read from " + domain + ":" +
                                                 std::to_string(port) + ": " + e.what());
    r.settle();
    return r;
  }
  std::vector<X509*> chain;
  json::array described;
  for (auto& c : peer.chain) {
    chain.push_back(c.get());
    described.push_back(ssl::describe_certificate(c.get()));
  }
  ssl::Verification v = ssl::verify_chain(chain, domain);
  const json::object& leaf = described.front().as_object();
  std::int64_t days_left = leaf.at("daysLeft").as_int64();
  r.details["address"] = peer.address;
  r.details["protocol"] = peer.protocol;
  r.details["cipher"] = peer.cipher;
  r.details["verified"] = v.ok;
  r.details["verification"] = v.message;
  r.details["daysLeft"] = days_left;
  r.details["chain"] = std::move(described);

  if (!v.ok) r.add(Severity::High, "ssl.untrusted", "the certificate chain does not verify for " + domain + ": " + v.message);
  if (days_left < 0 || (leaf.contains("expired") && leaf.at("expired").as_bool()))
    r.add(Severity::Critical, "ssl.expired", "the certificate expired " + plural(static_cast<std::size_t>(-days_left), "day") + " ago");
  else if (days_left < 14)
    r.add(Severity::High, "ssl.expires_soon", "the certificate expires in " + plural(static_cast<std::size_t>(days_left), "day"));
  else if (days_left < 30)
    r.add(Severity::Medium, "ssl.expires_soon", "the certificate expires in " + plural(static_cast<std::size_t>(days_left), "day"));
  if (peer.protocol == "TLSv1" || peer.protocol == "TLSv1.1" || peer.protocol.rfind("SSL", 0) == 0)
    r.add(Severity::Medium, "ssl.old_protocol", "the server negotiated " + peer.protocol + ", which is deprecated");
  if (leaf.at("keyType") == "RSA" && leaf.at("keyBits").as_int64() < 2048)
    r.add(Severity::Medium, "ssl.weak_key", "the certificate's RSA key has only " +
                                                std::to_string(leaf.at("keyBits").as_int64()) + " bits");
  r.settle();
  return r;
}

CheckResult evaluate_spf(const std::vector<std::string>& txt_records) {
  CheckResult r;
  r.check = "spf";
  std::vector<std::string> spf;
  for (const auto& t : txt_records)
    if (is_spf(t)) spf.push_back(t);
  if (spf.empty()) {
    r.details = {{"present", false}};
    r.add(Severity::High, "spf.missing", "no SPF record: anyone can send mail claiming to be from this domain");
    r.settle();
    return r;
  }
  if (spf.size() > 1) {
    json::array all;
    for (const auto& s : spf) all.push_back(json::string(s));
    r.details = {{"present", true}, {"records", std::move(all)}};
    r.add(Severity::High, "spf.multiple", "there are " + std::to_string(spf.size()) +
                                               " SPF records; receivers treat that as a permanent error (RFC 7208 4.5)");
    r.settle();
    return r;
  }
  SpfRecord p = parse_spf(spf.front());
  json::array mechanisms;
  for (const auto& m : p.mechanisms) mechanisms.push_back(json::string(m));
  r.details = {{"present", true},
               {"record", p.text},
               {"allQualifier", p.all_qualifier ? json::value(std::string(1, *p.all_qualifier)) : json::value(nullptr)},
               {"mechanisms", std::move(mechanisms)},
               {"lookupCount", p.lookup_terms}};
  if (p.redirect) r.details["redirect"] = *p.redirect;
  if (p.all_qualifier == '+')
    r.add(Severity::Critical, "spf.plus_all", "the SPF record ends in +all: every server on the internet may send as this domain");
  else if (p.all_qualifier == '?')
    r.add(Severity::Medium, "spf.neutral_all", "the SPF record ends in ?all (neutral): unlisted senders are not rejected");
  else if (p.all_qualifier == '~')
    r.add(Severity::Low, "spf.softfail_all", "the SPF record ends in ~all (softfail): unlisted senders are only marked");
  else if (!p.all_qualifier && !p.redirect)
    r.add(Severity::Medium, "spf.no_all", "the SPF record has no all mechanism or redirect, so unlisted senders are neutral");
  if (p.lookup_terms > 10)
    r.add(Severity::Medium, "spf.too_many_lookups", "the SPF record needs " + std::to_string(p.lookup_terms) +
                                                         " DNS lookups; more than 10 is a permanent error");
  if (p.uses_ptr) r.add(Severity::Low, "spf.ptr", "the SPF record uses ptr, which RFC 7208 says not to use");
  for (const auto& problem : p.problems) r.add(Severity::Medium, "spf.invalid_term", problem);
  r.settle();
  return r;
}

CheckResult evaluate_dmarc(const std::vector<std::string>& txt_records) {
  CheckResult r;
  r.check = "dmarc";
  std::vector<std::string> dmarc;
  for (const auto& t : txt_records)
    if (is_dmarc(t)) dmarc.push_back(t);
  if (dmarc.empty()) {
    r.details = {{"present", false}};
    r.add(Severity::High, "dmarc.missing", "no DMARC record: receivers get no policy for mail that fails SPF and DKIM");
    r.settle();
    return r;
  }
  if (dmarc.size() > 1) {
    r.details = {{"present", true}, {"count", dmarc.size()}};
    r.add(Severity::High, "dmarc.multiple", "there are " + std::to_string(dmarc.size()) +
                                                 " DMARC records; receivers then apply none (RFC 7489 6.6.3)");
    r.settle();
    return r;
  }
  DmarcRecord d = parse_dmarc(dmarc.front());
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.push_back(json::string(s));
    return a;
  };
  r.details = {{"present", true},     {"record", d.text},        {"policy", d.policy.empty() ? json::value(nullptr) : json::value(d.policy)},
               {"pct", d.pct},        {"rua", strings(d.rua)},   {"ruf", strings(d.ruf)},
               {"adkim", d.adkim},    {"aspf", d.aspf}};
  if (!d.subdomain_policy.empty()) r.details["subdomainPolicy"] = d.subdomain_policy;
  // The problem that explains a missing policy is reported once, as the high finding.
  std::size_t policy_problem = d.problems.size();
  for (std::size_t i = 0; i < d.problems.size() && d.policy.empty(); ++i)
    if (d.problems[i].rfind("p=", 0) == 0 || d.problems[i].find("required p=") != std::string::npos) {
      policy_problem = i;
      break;
    }
  if (d.policy.empty())
    r.add(Severity::High, "dmarc.invalid",
          "the DMARC record has no valid policy: " +
              (policy_problem < d.problems.size() ? d.problems[policy_problem] : std::string("p= is missing")));
  else if (d.policy == "none")
    r.add(Severity::Medium, "dmarc.policy_none", "the DMARC policy is none: failing mail is only reported, never held back");
  if (!d.policy.empty() && d.policy != "none" && d.pct < 100)
    r.add(Severity::Low, "dmarc.partial_pct", "the DMARC policy applies to only " + std::to_string(d.pct) + "% of failing mail");
  if (d.subdomain_policy == "none" && d.policy != "none" && !d.policy.empty())
    r.add(Severity::Low, "dmarc.subdomains_none", "subdomains are exempt (sp=none) although the domain's policy is " + d.policy);
  if (d.rua.empty()) r.add(Severity::Low, "dmarc.no_reports", "no aggregate report address (rua): nobody sees who sends as this domain");
  for (std::size_t i = 0; i < d.problems.size(); ++i)
    if (i != policy_problem) r.add(Severity::Low, "dmarc.invalid_tag", d.problems[i]);
  r.settle();
  return r;
}

CheckResult check_spf(const AuditOptions& o, const std::string& domain) {
  CheckResult r;
  r.check = "spf";
  std::vector<std::string> txt;
  if (!txt_lookup(o, domain, r, txt)) return r;
  return evaluate_spf(txt);
}

CheckResult check_dmarc(const AuditOptions& o, const std::string& domain) {
  CheckResult r;
  r.check = "dmarc";
  std::vector<std::string> txt;
  if (!txt_lookup(o, "_dmarc." + domain, r, txt)) return r;
  CheckResult out = evaluate_dmarc(txt);
  out.details["name"] = "_dmarc." + domain;
  return out;
}

}  // namespace toolgate::audit
