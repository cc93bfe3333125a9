// libresolv wrapper for the dns plugin: one private res_state per query, answers parsed with
// ns_initparse/ns_parserr, resolver failures turned into sentences a model can act on.
#include "resolver.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>  // HOST_NOT_FOUND, NO_DATA, TRY_AGAIN
#include <netinet/in.h>
#include <resolv.h>

#include <cstring>
#include <stdexcept>

namespace toolgate::dns {

namespace {

struct TypeName {
  const char* name;
  int code;
};
constexpr TypeName kTypes[] = {{"A", ns_t_a},       {"AAAA", ns_t_aaaa}, {"MX", ns_t_mx},
                               {"TXT", ns_t_txt},   {"CNAME", ns_t_cname}, {"NS", ns_t_ns}};

int type_code(const std::string& type) {
  for (const auto& t : kTypes)
    if (type == t.name) return t.code;
  throw std::invalid_argument("unsupported record type '" + type + "'; expected A, AAAA, MX, TXT, CNAME or NS");
}

// Hostnames as DNS sees them: labels of letters, digits, '-' and '_' (for _dmarc-style names).
std::string normalise_hostname(const std::string& in) {
  std::string h = in;
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty() || h.size() > 253) throw std::invalid_argument("'" + in + "' is not a valid hostname (1-253 characters)");
  std::size_t label = 0;
  for (char c : h) {
    if (c == '.') {
      if (label == 0) throw std::invalid_argument("'" + in + "' is not a valid hostname (empty label)");
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) throw std::invalid_argument("'" + in + "' is not a valid hostname (unexpected character)");
    if (++label > 63) throw std::invalid_argument("'" + in + "' is not a valid hostname (label longer than 63)");
  }
  if (label == 0) throw std::invalid_argument("'" + in + "' is not a valid hostname (empty label)");
  return h;
}

// TXT data is arbitrary bytes; the result is JSON, so keep valid UTF-8 and write anything else
// the way dig does (\DDD) rather than hand the host a string it cannot carry.
void append_text_bytes(std::string& out, const unsigned char* p, std::size_t n) {
  auto escape = [&](unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\%03u", c);
    out += buf;
  };
  for (std::size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    std::size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (c >= 0xf5) len = 0;
    bool valid = len > 0 && i + len <= n;
    for (std::size_t k = 1; valid && k < len; ++k) valid = (p[i + k] & 0xc0) == 0x80;
    if (valid) {
      out.append(reinterpret_cast<const char*>(p + i), len);
      i += len;
    } else {
      escape(c);
      ++i;
    }
  }
}

std::string uncompress_name(const ns_msg& msg, const unsigned char* at) {
  char name[NS_MAXDNAME];
  if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), at, name, sizeof name) < 0)
    throw ResolveError("the nameserver sent a malformed domain name in its answer");
  return name;
}

Record parse_record(const ns_msg& msg, const ns_rr& rr, int type) {
  Record r;
  r.ttl = ns_rr_ttl(rr);
  const unsigned char* data = ns_rr_rdata(rr);
  std::size_t len = ns_rr_rdlen(rr);
  char addr[INET6_ADDRSTRLEN];
  switch (type) {
    case ns_t_a:
      if (len != 4 || !inet_ntop(AF_INET, data, addr, sizeof addr)) throw ResolveError("malformed A record in the answer");
      r.value = addr;
      break;
    case ns_t_aaaa:
      if (len != 16 || !inet_ntop(AF_INET6, data, addr, sizeof addr))
        throw ResolveError("malformed AAAA record in the answer");
      r.value = addr;
      break;
    case ns_t_mx:
      if (len < 3) throw ResolveError("malformed MX record in the answer");
      r.priority = ns_get16(data);
      r.value = uncompress_name(msg, data + 2);
      break;
    case ns_t_txt:
      // A TXT record is several <length><bytes> strings; SPF and DMARC read them joined.
      for (std::size_t i = 0; i < len;) {
        std::size_t n = data[i++];
        if (i + n > len) throw ResolveError("malformed TXT record in the answer");
        append_text_bytes(r.value, data + i, n);
        i += n;
      }
      break;
    default:  // CNAME, NS: a single domain name
      r.value = uncompress_name(msg, data);
  }
  return r;
}

// Frees what res_ninit allocated, whichever way the query ends.
struct StateGuard {
  struct __res_state* st;
  ~StateGuard() { res_nclose(st); }
};

const char* rcode_name(int rcode) {
  switch (rcode) {
    case ns_r_formerr: return "FORMERR";
    case ns_r_servfail: return "SERVFAIL";
    case ns_r_nxdomain: return "NXDOMAIN";
    case ns_r_notimpl: return "NOTIMP";
    case ns_r_refused: return "REFUSED";
    default: return "an error code";
  }
}

}  // namespace

const std::vector<std::string>& supported_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> v;
    for (const auto& t : kTypes) v.emplace_back(t.name);
    return v;
  }();
  return types;
}

void parse_nameserver(const std::string& text, ResolverOptions& out) {
  std::string host = text;
  std::uint16_t port = 53;
  if (auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    std::string p = text.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos || std::stoi(p) < 1 ||
        std::stoi(p) > 65535)
      throw std::invalid_argument("nameserver '" + text + "': port must be 1-65535");
    port = static_cast<std::uint16_t>(std::stoi(p));
  }
  in_addr probe{};
  if (inet_pton(AF_INET, host.c_str(), &probe) != 1)
    throw std::invalid_argument("nameserver '" + text + "': expected an IPv4 address, optionally with :port");
  out.nameserver_host = host;
  out.nameserver_port = port;
}

Answer resolve(const ResolverOptions& options, const std::string& hostname, const std::string& type) {
  Answer answer;
  answer.name = normalise_hostname(hostname);
  answer.type = type;
  int qtype = type_code(type);

  struct __res_state st;
  std::memset(&st, 0, sizeof st);
  if (res_ninit(&st) != 0) {
    res_nclose(&st);
    throw ResolveError("cannot initialise the system resolver (check /etc/resolv.conf)");
  }
  StateGuard guard{&st};
  st.retrans = options.timeout_seconds;
  st.retry = options.attempts;
  std::string server = "the system resolver";
  if (!options.nameserver_host.empty()) {
    // Overriding nsaddr_list detaches this state from resolv.conf, which is what we want.
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(options.nameserver_port);
    inet_pton(AF_INET, options.nameserver_host.c_str(), &sin.sin_addr);
    st.nsaddr_list[0] = sin;
    st.nscount = 1;
    server = "nameserver " + options.nameserver_host + ":" + std::to_string(options.nameserver_port);
  }

  std::vector<unsigned char> buf(NS_MAXMSG);
  // The header stays zero unless a reply arrives, which tells "no answer" from "error answer".
  int n = res_nquery(&st, answer.name.c_str(), ns_c_in, qtype, buf.data(), static_cast<int>(buf.size()));
  const std::string what = type + " records for " + answer.name;
  if (n < 0) {
    bool replied = (buf[2] & 0x80) != 0;
    int rcode = buf[3] & 0x0f;
    switch (st.res_h_errno) {
      case HOST_NOT_FOUND:
        throw ResolveError(answer.name + " does not exist (NXDOMAIN from " + server + ")", ResolveError::Kind::NoSuchDomain);
      case NO_DATA:
        throw ResolveError(answer.name + " exists but has no " + type + " records (no data)", ResolveError::Kind::NoData);
      case TRY_AGAIN:
        if (replied && rcode == ns_r_servfail)
          throw ResolveError("looking up " + what + " failed: " + server + " answered SERVFAIL");
        throw ResolveError("looking up " + what + " timed out: no answer from " + server + " within " +
                           std::to_string(options.timeout_seconds) + "s x " + std::to_string(options.attempts) +
                           " attempts");
      default:
        if (replied)
          throw ResolveError("looking up " + what + " failed: " + server + " answered " + rcode_name(rcode));
        throw ResolveError("looking up " + what + " failed: " + server + " could not be queried");
    }
  }

  ns_msg msg;
  if (ns_initparse(buf.data(), n, &msg) < 0) throw ResolveError("the reply from " + server + " is malformed");
  for (int i = 0, count = ns_msg_count(msg, ns_s_an); i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0) throw ResolveError("the reply from " + server + " is malformed");
    if (ns_rr_class(rr) != ns_c_in) continue;
    int t = ns_rr_type(rr);
    if (t == qtype) {
      answer.records.push_back(parse_record(msg, rr, t));
    } else if (t == ns_t_cname) {
      answer.canonical_name = uncompress_name(msg, ns_rr_rdata(rr));
    }
  }
  if (answer.records.empty()) {
    std::string alias = answer.canonical_name.empty() ? "" : " (it is an alias of " + answer.canonical_name + ")";
    throw ResolveError(answer.name + " has no " + type + " records" + alias + " (no data)", ResolveError::Kind::NoData);
  }
  return answer;
}

}  // namespace toolgate::dns
