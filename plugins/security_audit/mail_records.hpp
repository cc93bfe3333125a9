// SPF (RFC 7208) and DMARC (RFC 7489) records, parsed from the TXT strings DNS returns, for the
// security_audit plugin. Pure functions over text: no DNS, no state, so they are unit-tested on
// fixed records. Parsing is lenient where receivers are (case of tags and mechanisms, spaces
// around ';') and strict where the result matters (an unknown all-qualifier, a p= that is not
// none/quarantine/reject is reported as invalid rather than guessed).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace toolgate::audit {

struct SpfRecord {
  std::string text;
  // The qualifier of the `all` mechanism: '+', '-', '~' or '?'; nullopt when there is none.
  std::optional<char> all_qualifier;
  std::vector<std::string> mechanisms;  // as written, modifiers excluded
  std::optional<std::string> redirect;  // redirect= modifier
  // Terms that cost a DNS lookup at the receiver (include, a, mx, ptr, exists, redirect); more
  // than 10 is a permerror (RFC 7208 section 4.6.4).
  int lookup_terms = 0;
  bool uses_ptr = false;
  std::vector<std::string> problems;  // unknown terms, bad qualifiers
};

// True when a TXT string is an SPF record ("v=spf1" alone or followed by a space).
bool is_spf(const std::string& txt);
SpfRecord parse_spf(const std::string& txt);

struct DmarcRecord {
  std::string text;
  std::string policy;            // p=: none, quarantine, reject; empty when missing or invalid
  std::string subdomain_policy;  // sp=; empty when absent
  int pct = 100;
  std::vector<std::string> rua;  // aggregate report addresses
  std::vector<std::string> ruf;  // failure report addresses
  std::string adkim = "r";       // r (relaxed) or s (strict)
  std::string aspf = "r";
  std::vector<std::string> problems;  // missing or invalid tags, in the order found
};

// True when a TXT string is a DMARC record (starts with "v=DMARC1").
bool is_dmarc(const std::string& txt);
DmarcRecord parse_dmarc(const std::string& txt);

}  // namespace toolgate::audit
