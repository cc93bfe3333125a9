// The test zone's DNS server (see dns_responder.hpp): parse one question, write the answer.
#include "dns_responder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

namespace toolgate::testing {

namespace {

enum : std::uint16_t { kA = 1, kNS = 2, kCNAME = 5, kMX = 15, kTXT = 16, kAAAA = 28 };

struct Rr {
  std::string owner;
  std::uint16_t type;
  std::uint32_t ttl;
  std::vector<std::uint8_t> rdata;
};

void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
// Uncompressed wire-format name.
std::vector<std::uint8_t> wire_name(const std::string& name) {
  std::vector<std::uint8_t> out;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<std::uint8_t>(dot - start));
    out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return out;
}
std::vector<std::uint8_t> addr(int family, const char* text) {
  std::uint8_t buf[16];
  inet_pton(family, text, buf);
  return std::vector<std::uint8_t>(buf, buf + (family == AF_INET ? 4 : 16));
}
std::vector<std::uint8_t> mx(std::uint16_t pref, const std::string& host) {
  std::vector<std::uint8_t> out;
  put16(out, pref);
  auto n = wire_name(host);
  out.insert(out.end(), n.begin(), n.end());
  return out;
}
std::vector<std::uint8_t> txt(std::initializer_list<std::string> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) {
    out.push_back(static_cast<std::uint8_t>(p.size()));
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

const std::vector<Rr>& zone() {
  static const std::vector<Rr> z = {
      {"www.example.test", kA, 300, addr(AF_INET, "192.0.2.10")},
      {"www.example.test", kA, 300, addr(AF_INET, "192.0.2.11")},
      {"www.example.test", kAAAA, 600, addr(AF_INET6, "2001:db8::10")},
      {"example.test", kMX, 3600, mx(10, "mail.example.test")},
      {"example.test", kMX, 3600, mx(20, "backup.example.test")},
      {"example.test", kTXT, 120, txt({"v=spf1 -all"})},
      {"example.test", kTXT, 120, txt({"part one ", "part two"})},
      {"example.test", kNS, 86400, wire_name("ns1.example.test")},
      {"example.test", kNS, 86400, wire_name("ns2.example.test")},
      {"alias.example.test", kCNAME, 60, wire_name("www.example.test")},
      {"nodata.example.test", kTXT, 60, txt({"exists"})},
      // For security_audit: a well-kept domain and a badly kept one, both served on loopback.
      {"secure.example.test", kA, 300, addr(AF_INET, "127.0.0.1")},
      {"secure.example.test", kMX, 3600, mx(10, "mail.secure.example.test")},
      {"secure.example.test", kNS, 86400, wire_name("ns1.example.test")},
      {"secure.example.test", kNS, 86400, wire_name("ns2.example.test")},
      {"secure.example.test", kTXT, 300, txt({"v=spf1 ip4:192.0.2.0/24 ", "mx -all"})},
      {"secure.example.test", kTXT, 300, txt({"site-verification=abc123"})},
      {"_dmarc.secure.example.test", kTXT, 300, txt({"v=DMARC1; p=reject; rua=mailto:dmarc@secure.example.test"})},
      {"weak.example.test", kA, 300, addr(AF_INET, "127.0.0.1")},
      {"weak.example.test", kTXT, 300, txt({"v=spf1 +all"})},
      {"_dmarc.weak.example.test", kTXT, 300, txt({"v=DMARC1; p=none"})},
  };
  return z;
}

void append_rr(std::vector<std::uint8_t>& out, const Rr& rr) {
  auto n = wire_name(rr.owner);
  out.insert(out.end(), n.begin(), n.end());
  put16(out, rr.type);
  put16(out, 1);  // IN
  put32(out, rr.ttl);
  put16(out, static_cast<std::uint16_t>(rr.rdata.size()));
  out.insert(out.end(), rr.rdata.begin(), rr.rdata.end());
}

// Builds the reply to `q`, or returns false to stay silent.
bool answer(const std::uint8_t* q, std::size_t len, std::vector<std::uint8_t>& out) {
  if (len < 12 || (q[2] & 0x80)) return false;
  std::size_t i = 12;
  std::string name;
  while (i < len && q[i] != 0) {
    std::size_t l = q[i++];
    if (l > 63 || i + l > len) return false;
    if (!name.empty()) name.push_back('.');
    for (std::size_t k = 0; k < l; ++k) name.push_back(static_cast<char>(std::tolower(q[i + k])));
    i += l;
  }
  if (i + 5 > len) return false;
  std::size_t question_end = i + 5;
  std::uint16_t qtype = static_cast<std::uint16_t>(q[i + 1] << 8 | q[i + 2]);
  if (name == "slow.example.test") return false;

  std::vector<Rr> answers;
  bool exists = false;
  std::string target = name;
  for (const auto& rr : zone())
    if (rr.owner == name && rr.type == kCNAME && qtype != kCNAME) {
      answers.push_back(rr);
      target = "www.example.test";
    }
  for (const auto& rr : zone()) {
    if (rr.owner == name) exists = true;
    if (rr.owner == target && rr.type == qtype) answers.push_back(rr);
  }
  int rcode = name == "fail.example.test" ? 2 : (exists || !answers.empty()) ? 0 : 3;

  out.assign(q, q + 2);                                          // id
  out.push_back(static_cast<std::uint8_t>(0x84 | (q[2] & 0x01)));  // QR, AA, RD echoed
  out.push_back(static_cast<std::uint8_t>(rcode));
  put16(out, 1);
  put16(out, rcode == 0 ? static_cast<std::uint16_t>(answers.size()) : 0);
  put16(out, 0);
  put16(out, 0);
  out.insert(out.end(), q + 12, q + question_end);
  if (rcode == 0)
    for (const auto& rr : answers) append_rr(out, rr);
  return true;
}

}  // namespace

DnsResponder::DnsResponder() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t slen = sizeof sin;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &slen) != 0)
    throw std::runtime_error("DnsResponder: cannot bind a UDP socket on 127.0.0.1");
  port_ = ntohs(sin.sin_port);
  thread_ = std::thread([this] { serve(); });
}

DnsResponder::~DnsResponder() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

void DnsResponder::serve() {
  std::uint8_t buf[1500];
  std::vector<std::uint8_t> reply;
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;  // short poll so the destructor never waits long
    sockaddr_in from{};
    socklen_t flen = sizeof from;
    ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
    if (n <= 0) continue;
    ++queries_;
    if (answer(buf, static_cast<std::size_t>(n), reply))
      ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
  }
}

}  // namespace toolgate::testing
