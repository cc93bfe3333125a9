// TLS client side of the ssl and security_audit plugins: connect and handshake against one
// deadline on a non-blocking socket, collect the chain.
#include "tls_fetch.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace toolgate::ssl {

namespace {

using Clock = std::chrono::steady_clock;
// How often a wait wakes to ask whether to stop: short enough that a cancelled job lets go of
// its connection promptly, long enough to cost nothing.
constexpr auto kSlice = std::chrono::milliseconds(100);

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

enum class Wait { Ready, TimedOut, Failed };

// Waits for `events` on `fd` until `deadline`, in slices, throwing FetchStopped when asked to.
Wait wait_for(int fd, short events, Clock::time_point deadline, const std::function<bool()>& should_stop,
              const std::string& target) {
  for (;;) {
    if (should_stop && should_stop()) throw FetchStopped("stopped while talking to " + target);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Wait::TimedOut;
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min(left, std::chrono::duration_cast<std::chrono::milliseconds>(kSlice)).count()));
    if (ready > 0) return Wait::Ready;
    if (ready < 0 && errno != EINTR) return Wait::Failed;
  }
}

std::string numeric_address(const addrinfo* ai) {
  char host[NI_MAXHOST];
  if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) return "?";
  return ai->ai_family == AF_INET6 ? "[" + std::string(host) + "]" : host;
}

// Tries each address until one accepts, all within `deadline`. Returns the connected socket
// (still non-blocking).
int connect_with_deadline(const std::string& host, int port, Clock::time_point deadline, int timeout_seconds,
                          const std::function<bool()>& should_stop, std::string& address) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* raw = nullptr;
  std::string target = host + ":" + std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw); rc != 0)
    throw std::runtime_error("cannot resolve " + host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(raw, freeaddrinfo);
  std::string last_error = "no addresses";
  for (addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
    Fd s;
    s.fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (s.fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int err = 0;
    if (::connect(s.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        err = errno;
      } else {
        Wait w = wait_for(s.fd, POLLOUT, deadline, should_stop, target);
        if (w == Wait::TimedOut)
          throw std::runtime_error("connecting to " + target + " timed out after " + std::to_string(timeout_seconds) +
                                   "s");
        socklen_t len = sizeof err;
        if (w == Wait::Failed) err = errno;
        else getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      address = numeric_address(ai);
      int fd = s.fd;
      s.fd = -1;
      return fd;
    }
    last_error = err == ECONNREFUSED ? "connection refused" : std::strerror(err);
  }
  throw std::runtime_error("cannot connect to " + target + ": " + last_error);
}

}  // namespace

TlsPeer fetch_chain(const std::string& host, int port, const std::string& servername, int timeout_seconds,
                    const std::function<bool()>& should_stop) {
  auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  TlsPeer peer;
  Fd sock;
  sock.fd = connect_with_deadline(host, port, deadline, timeout_seconds, should_stop, peer.address);

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) throw std::runtime_error("cannot create a TLS context: " + openssl_error("out of memory"));
  // Verification is reported, not enforced: the point is to inspect whatever the server sends.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  if (!ssl) throw std::runtime_error("cannot create a TLS session: " + openssl_error("out of memory"));
  SSL_set_fd(ssl.get(), sock.fd);
  std::string sni = servername.empty() ? host : servername;
  if (!is_ip_literal(sni)) SSL_set_tlsext_host_name(ssl.get(), sni.c_str());

  std::string target = host + ":" + std::to_string(port);
  auto failed = [&](const std::string& why) {
    return std::runtime_error("TLS handshake with " + target + " failed: " + why);
  };
  for (;;) {
    errno = 0;
    int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    int saved = errno;
    int err = SSL_get_error(ssl.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      Wait w = wait_for(sock.fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, should_stop, target);
      if (w == Wait::TimedOut) throw failed("timed out after " + std::to_string(timeout_seconds) + "s");
      if (w == Wait::Failed) throw failed(std::strerror(errno));
      continue;
    }
    std::string why = openssl_error("");
    if (why.empty()) why = saved ? std::strerror(saved) : "the server closed the connection";
    throw failed(why);
  }
  peer.protocol = SSL_get_version(ssl.get());
  peer.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl.get()));
  // On the client side this stack includes the server's own certificate first.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get());
  for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
    X509* x = sk_X509_value(chain, i);
    X509_up_ref(x);
    peer.chain.emplace_back(x);
  }
  SSL_shutdown(ssl.get());  // best effort on a non-blocking socket: the close follows anyway
  ERR_clear_error();
  if (peer.chain.empty()) throw std::runtime_error("the server at " + target + " presented no certificate");
  return peer;
}

}  // namespace toolgate::ssl
