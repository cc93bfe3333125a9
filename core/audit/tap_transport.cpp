#include "audit/tap_transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace toolgate {

namespace {

constexpr int kWaitMs = 1000;  // longest a connect or a stalled send may hold the tap thread

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  int family = AF_INET;
};

SockAddr make_addr(const AuditTapConfig& c) {
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, c.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(c.port);
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
  } else {
    inet_pton(AF_INET6, c.host.c_str(), &v6->sin6_addr);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(c.port);
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
  }
  return a;
}

class SyslogTransport : public TapTransport {
 public:
  explicit SyslogTransport(int facility) : facility_(facility) {}
  Result send(std::string_view line, std::string&) override {
    ::syslog(facility_ | LOG_INFO, "%.*s", static_cast<int>(line.size()), line.data());
    return Result::sent;
  }

 private:
  int facility_;
};

class UdpTransport : public TapTransport {
 public:
  explicit UdpTransport(const AuditTapConfig& c) : addr_(make_addr(c)) {}
  ~UdpTransport() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Result send(std::string_view line, std::string& error) override {
    if (fd_ < 0) {
      fd_ = ::socket(addr_.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr_.storage), addr_.len) != 0) {
        error = errno_text("cannot set up UDP socket");
        reset();
        return Result::retry_later;
      }
    }
    if (::send(fd_, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(line.size()))
      return Result::sent;
    error = errno_text("UDP send failed");
    if (errno == EMSGSIZE) return Result::drop;
    return Result::retry_later;  // ECONNREFUSED from an earlier datagram, or a full buffer
  }

 private:
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  SockAddr addr_;
  int fd_ = -1;
};

class TcpTransport : public TapTransport {
 public:
  explicit TcpTransport(const AuditTapConfig& c) : addr_(make_addr(c)) {}
  ~TcpTransport() override { reset(); }

  Result send(std::string_view line, std::string& error) override {
    if (fd_ >= 0 && peer_closed()) reset();
    if (fd_ < 0 && !connect(error)) return Result::retry_later;
    std::string data;
    data.reserve(line.size() + 1);
    data.append(line).push_back('\n');
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, kWaitMs) == 1) continue;
        error = "collector is not reading (send stalled)";
      } else {
        error = errno_text("TCP send failed");
      }
      reset();  // the whole line is sent again on the next connection
      return Result::retry_later;
    }
    return Result::sent;
  }

 private:
  bool connect(std::string& error) {
    fd_ = ::socket(addr_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      error = errno_text("cannot create TCP socket");
      return false;
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr_.storage), addr_.len) == 0) return true;
    if (errno != EINPROGRESS) {
      error = errno_text("cannot connect");
      reset();
      return false;
    }
    pollfd p{fd_, POLLOUT, 0};
    int r = ::poll(&p, 1, kWaitMs);
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (r == 1 && ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr == 0) return true;
    errno = r == 0 ? ETIMEDOUT : soerr;
    error = errno_text("cannot connect");
    reset();
    return false;
  }
  // A collector that went away shows as readable end-of-stream; anything it sent is discarded.
  bool peer_closed() {
    char buf[256];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) continue;
      if (n == 0) return true;
      return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  SockAddr addr_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<TapTransport> make_tap_transport(const AuditTapConfig& config) {
  switch (config.type) {
    case AuditTapConfig::Type::syslog:
      return std::make_unique<SyslogTransport>(config.facility);
    case AuditTapConfig::Type::udp:
      return std::make_unique<UdpTransport>(config);
    case AuditTapConfig::Type::tcp:
      return std::make_unique<TcpTransport>(config);
  }
  return nullptr;
}

}  // namespace toolgate
