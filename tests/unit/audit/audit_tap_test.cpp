// Taps against real local sockets. Waiting is done on the socket (poll with a deadline) or by
// re-checking a condition until a deadline; nothing relies on a sleep being long enough.
#include "audit/audit_log.hpp"
#include "audit/audit_tap.hpp"
#include "test_helpers.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace toolgate {
namespace {

namespace json = boost::json;
using test::TempDir;
using Clock = std::chrono::steady_clock;

// A socket bound to 127.0.0.1 on a kernel-chosen port; closed on destruction.
struct LocalSocket {
  explicit LocalSocket(int type) {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~LocalSocket() { ::close(fd); }
  int fd = -1;
  std::uint16_t port = 0;
};

// Waits until `fd` is readable or the deadline passes.
bool readable_by(int fd, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

AuditTapConfig tap(AuditTapConfig::Type type, std::uint16_t port, std::size_t queue = 10000) {
  AuditTapConfig t;
  t.type = type;
  t.host = "127.0.0.1";
  t.port = port;
  t.queue_size = queue;
  return t;
}

TEST(AuditTap, UdpCollectorReceivesEachEntry) {
  TempDir tmp;
  LocalSocket collector(SOCK_DGRAM);
  AuditConfig c = test::test_config(tmp.path());
  c.taps.push_back(tap(AuditTapConfig::Type::udp, collector.port));
  AuditLog log(c);
  AuditEntry e = test::sample_entry(1);
  e.input = json::object{{"password", "hunter2"}};
  ASSERT_TRUE(log.append(e));
  ASSERT_TRUE(readable_by(collector.fd, Clock::now() + std::chrono::seconds(10)));
  char buf[65536];
  ssize_t n = ::recv(collector.fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  std::string datagram(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(datagram, test::read_lines(tmp.sub("audit.jsonl")).at(0));  // the very same line
  json::value v = json::parse(datagram);
  EXPECT_EQ(v.at("id"), json::value(e.id));
  EXPECT_EQ(v.at("hash"), json::value(e.hash));
  EXPECT_EQ(v.at("input").at("password"), json::value("[REDACTED]"));
  EXPECT_TRUE(test::eventually([&] { return log.taps()[0]->sent() == 1; }));
}

TEST(AuditTap, TcpCollectorDownDoesNotBlockAndLaterReceives) {
  TempDir tmp;
  test::LogCapture logs;
  // Bound but not yet listening: connections are refused until listen() is called.
  LocalSocket collector(SOCK_STREAM);
  AuditConfig c = test::test_config(tmp.path());
  c.taps.push_back(tap(AuditTapConfig::Type::tcp, collector.port));
  AuditLog log(c);
  const AuditTap& t = *log.taps()[0];

  AuditEntry while_down = test::sample_entry(1);
  ASSERT_TRUE(log.append(while_down));  // returns although nothing can be delivered
  ASSERT_TRUE(test::eventually([&] { return !t.connected(); })) << "the tap never tried to connect";
  AuditEntry still_down = test::sample_entry(2);
  ASSERT_TRUE(log.append(still_down));  // and keeps returning while the collector is down
  EXPECT_EQ(t.sent(), 0u);
  EXPECT_TRUE(test::eventually([&] { return logs.count("Connection refused") == 1; })) << logs.text();

  ASSERT_EQ(::listen(collector.fd, 4), 0);  // the collector comes up
  AuditEntry after = test::sample_entry(3);
  ASSERT_TRUE(log.append(after));
  auto deadline = Clock::now() + std::chrono::seconds(20);
  ASSERT_TRUE(readable_by(collector.fd, deadline)) << "tap never reconnected";
  int conn = ::accept(collector.fd, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  std::string received;
  char buf[8192];
  while (std::count(received.begin(), received.end(), '\n') < 3 && readable_by(conn, deadline)) {
    ssize_t n = ::recv(conn, buf, sizeof buf, 0);
    if (n <= 0) break;
    received.append(buf, static_cast<std::size_t>(n));
  }
  ::close(conn);
  std::vector<std::string> ids;
  std::istringstream lines(received);
  for (std::string line; std::getline(lines, line);) ids.emplace_back(json::parse(line).at("id").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{while_down.id, still_down.id, after.id}));  // queued, in order
  EXPECT_TRUE(test::eventually([&] { return t.sent() == 3 && t.connected(); }));
  EXPECT_EQ(t.dropped(), 0u);
  EXPECT_TRUE(test::eventually([&] { return logs.count("delivering again") == 1; })) << logs.text();
}

TEST(AuditTap, FullQueueDropsAndCounts) {
  LocalSocket refused(SOCK_STREAM);  // never listens
  test::LogCapture logs;
  AuditTap t(tap(AuditTapConfig::Type::tcp, refused.port, 2));
  for (int i = 0; i < 10; ++i) t.publish("{\"n\":" + std::to_string(i) + "}");
  // At most 2 queued plus 1 being attempted; publish() itself never waits for the collector.
  EXPECT_GE(t.dropped(), 7u);
  EXPECT_EQ(t.sent(), 0u);
  EXPECT_EQ(logs.count("queue full (2 entries); dropping entries until it drains"), 1u) << logs.text();
}

TEST(AuditTap, SyslogTapAcceptsEntries) {
  // syslog(3) gives no delivery feedback; this checks the tap drains without error.
  AuditTapConfig c;
  c.type = AuditTapConfig::Type::syslog;
  c.facility_name = "local7";
  c.facility = LOG_LOCAL7;
  AuditTap t(c);
  t.publish(R"({"test":"toolgate audit syslog tap"})");
  EXPECT_TRUE(test::eventually([&] { return t.sent() == 1; }));
}

}  // namespace
}  // namespace toolgate
