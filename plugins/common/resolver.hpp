// DNS lookups through libresolv for the dns and security_audit plugins. Each query builds its
// own res_state (res_ninit ... res_nclose), so concurrent calls on host worker threads share nothing; the
// only shared input is the immutable ResolverOptions fixed at plugin init.
//
// Failures come back as ResolveError with a sentence meant for the model (NXDOMAIN, no data,
// timeout, server failure), never as a bare resolver code.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace toolgate::dns {

struct ResolverOptions {
  // Empty: the nameservers from /etc/resolv.conf. Otherwise an IPv4 literal and port.
  std::string nameserver_host;
  std::uint16_t nameserver_port = 53;
  int timeout_seconds = 2;  // per attempt; libresolv's retrans
  int attempts = 2;         // libresolv's retry
};

// Parses "a.b.c.d" or "a.b.c.d:port"; throws std::invalid_argument with the reason.
void parse_nameserver(const std::string& text, ResolverOptions& out);

struct Record {
  std::string value;
  std::uint32_t ttl = 0;
  std::optional<std::uint16_t> priority;  // MX only
};

struct Answer {
  std::string name;  // as asked, without a trailing dot
  std::string type;  // "A", "MX", ...
  std::vector<Record> records;
  std::string canonical_name;  // set when the answer went through a CNAME
};

class ResolveError : public std::runtime_error {
 public:
  // What went wrong, for callers that judge rather than relay (security_audit): the name does
  // not exist, it exists without records of the type, or the lookup itself failed.
  enum class Kind { NoSuchDomain, NoData, Failure };
  explicit ResolveError(const std::string& what, Kind kind = Kind::Failure) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// The record types the tools accept, in the order the manifest lists them.
const std::vector<std::string>& supported_types();

// Throws std::invalid_argument for a malformed hostname, ResolveError for DNS failures.
Answer resolve(const ResolverOptions& options, const std::string& hostname, const std::string& type);

}  // namespace toolgate::dns
