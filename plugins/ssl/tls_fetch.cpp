// TLS client side of the ssl plugin: connect with a deadline, handshake, collect the chain.
#include "tls_fetch.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace toolgate::ssl {

namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string numeric_address(const addrinfo* ai) {
  char host[NI_MAXHOST];
  if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) return "?";
  return ai->ai_family == AF_INET6 ? "[" + std::string(host) + "]" : host;
}

// Tries each address until one accepts, all within `deadline`. Returns the connected socket.
int connect_with_deadline(const std::string& host, int port, Clock::time_point deadline, int timeout_seconds,
                          std::string& address) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* list = nullptr;
  std::string target = host + ":" + std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list); rc != 0)
    throw std::runtime_error("cannot resolve " + host + ": " + gai_strerror(rc));
  std::string last_error = "no addresses";
  bool timed_out = false;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
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
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        pollfd p{s.fd, POLLOUT, 0};
        int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
        if (ready == 0) {
          timed_out = true;
          break;
        }
        socklen_t len = sizeof err;
        if (ready < 0) err = errno;
        else getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      address = numeric_address(ai);
      freeaddrinfo(list);
      int fd = s.fd;
      s.fd = -1;
      return fd;
    }
    last_error = err == ECONNREFUSED ? "connection refused" : std::strerror(err);
  }
  freeaddrinfo(list);
  if (timed_out)
    throw std::runtime_error("connecting to " + target + " timed out after " + std::to_string(timeout_seconds) + "s");
  throw std::runtime_error("cannot connect to " + target + ": " + last_error);
}

}  // namespace

TlsPeer fetch_chain(const std::string& host, int port, const std::string& servername, int timeout_seconds) {
  auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  TlsPeer peer;
  Fd sock;
  sock.fd = connect_with_deadline(host, port, deadline, timeout_seconds, peer.address);

  // The handshake runs on a blocking socket whose reads and writes give up at the timeout.
  int flags = fcntl(sock.fd, F_GETFL);
  fcntl(sock.fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval tv{timeout_seconds, 0};
  setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

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
  errno = 0;
  if (SSL_connect(ssl.get()) != 1) {
    int saved = errno;
    std::string why = openssl_error("");
    if (why.empty())
      why = (saved == EAGAIN || saved == EWOULDBLOCK) ? "timed out after " + std::to_string(timeout_seconds) + "s"
            : saved ? std::strerror(saved)
                    : "the server closed the connection";
    throw std::runtime_error("TLS handshake with " + target + " failed: " + why);
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
  SSL_shutdown(ssl.get());
  ERR_clear_error();
  if (peer.chain.empty()) throw std::runtime_error("the server at " + target + " presented no certificate");
  return peer;
}

}  // namespace toolgate::ssl
