// A tiny authoritative DNS server for the dns plugin's tests: answers UDP queries on
// 127.0.0.1 (an ephemeral port) from a fixed zone under example.test, on a thread of the test
// process. It is ready when the constructor returns (the socket is bound before the thread
// starts) and gone when the destructor returns, so no test waits on or leaks a daemon.
//
// Zone (all TTLs as listed):
//   www.example.test     A 192.0.2.10, A 192.0.2.11 (300); AAAA 2001:db8::10 (600)
//   example.test         MX 10 mail.example.test, MX 20 backup.example.test (3600)
//                        TXT "v=spf1 -all" (120); TXT "part one " "part two" (120)
//                        NS ns1.example.test, NS ns2.example.test (86400)
//   alias.example.test   CNAME www.example.test (60)
//   nodata.example.test  TXT "exists" only, so A queries get NOERROR with no answers
//   secure.example.test  A 127.0.0.1; MX 10 mail.secure.example.test; NS ns1/ns2.example.test;
//                        TXT "v=spf1 ip4:192.0.2.0/24 " "mx -all", TXT "site-verification=abc123"
//   _dmarc.secure.example.test  TXT "v=DMARC1; p=reject; rua=mailto:dmarc@secure.example.test"
//   weak.example.test    A 127.0.0.1; TXT "v=spf1 +all"
//   _dmarc.weak.example.test    TXT "v=DMARC1; p=none"
//   slow.example.test    never answered (a timeout)
//   fail.example.test    SERVFAIL
//   anything else        NXDOMAIN
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace toolgate::testing {

class DnsResponder {
 public:
  DnsResponder();
  ~DnsResponder();
  DnsResponder(const DnsResponder&) = delete;
  DnsResponder& operator=(const DnsResponder&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_; }

 private:
  void serve();

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

}  // namespace toolgate::testing
