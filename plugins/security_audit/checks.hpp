// The four checks of a security audit. Each takes a domain, talks to DNS (through the shared
// libresolv resolver, at the configured nameserver) or to the domain's TLS port, and returns a
// CheckResult; none throws for anything the network does: an unreachable server or a failed
// lookup is a finding, so an audit always completes with what it could learn. The judging of
// SPF and DMARC records is split from the lookups (evaluate_*) so it is tested on fixed records.
// Thread-safe: no shared mutable state; options are read-only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "findings.hpp"
#include "resolver.hpp"

namespace toolgate::audit {

struct AuditOptions {
  dns::ResolverOptions resolver;
  int tls_timeout_seconds = 10;
};

// A, AAAA, MX and NS records of the domain.
CheckResult check_dns(const AuditOptions& o, const std::string& domain);
// The certificate chain served on `port`: reached at the domain's first A (else AAAA) address
// from the configured resolver, else by the system's name lookup; SNI and the name check use the
// domain. `should_stop` is polled during the handshake; ssl::FetchStopped escapes when it fires.
CheckResult check_ssl(const AuditOptions& o, const std::string& domain, int port,
                      const std::function<bool()>& should_stop);
// TXT records at the domain (SPF) and at _dmarc.<domain> (DMARC).
CheckResult check_spf(const AuditOptions& o, const std::string& domain);
CheckResult check_dmarc(const AuditOptions& o, const std::string& domain);

// Judging fixed TXT strings, as the lookups above do after fetching them.
CheckResult evaluate_spf(const std::vector<std::string>& txt_records);
CheckResult evaluate_dmarc(const std::vector<std::string>& txt_records);

}  // namespace toolgate::audit
