// Test PKI and TLS server for the ssl plugin's tests (see tls_server.hpp).
#include "tls_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <stdexcept>

namespace toolgate::testing {

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext && X509_add_ext(cert, ext, -1) == 1, "adding an extension");
  X509_EXTENSION_free(ext);
}

X509* make_cert(EVP_PKEY* key, const char* cn, long serial, X509* issuer, EVP_PKEY* issuer_key, bool ca) {
  X509* x = X509_new();
  check(x != nullptr, "X509_new");
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400 + 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("toolgate tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : x;
  if (ca) {
    add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, signer, NID_basic_constraints, "CA:FALSE");
    add_ext(x, signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_ext(x, signer, NID_ext_key_usage, "serverAuth");
  }
  check(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return x;
}

std::string pem_of(X509* x) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

int listen_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sin;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  port = ntohs(sin.sin_port);
  return fd;
}

}  // namespace

TestPki::TestPki() {
  ca_key = EVP_EC_gen("P-256");
  leaf_key = EVP_RSA_gen(2048);
  check(ca_key && leaf_key, "key generation");
  ca = make_cert(ca_key, "toolgate test CA", 1, nullptr, nullptr, true);
  leaf = make_cert(leaf_key, "localhost", 0x5eed1234, ca, ca_key, false);
}

TestPki::~TestPki() {
  X509_free(leaf);
  X509_free(ca);
  EVP_PKEY_free(leaf_key);
  EVP_PKEY_free(ca_key);
}

std::string TestPki::leaf_pem() const { return pem_of(leaf); }
std::string TestPki::ca_pem() const { return pem_of(ca); }

std::string TestPki::leaf_key_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, leaf_key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string TestPki::leaf_sha256() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(leaf, EVP_sha256(), md, &n);
  std::string out;
  char buf[4];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, i ? ":%02X" : "%02X", md[i]);
    out += buf;
  }
  return out;
}

std::string TestPki::leaf_serial_hex() const { return "5EED1234"; }

TlsServer::TlsServer(const TestPki& pki) {
  // A client that hangs up mid-handshake must not kill the test process on the next write.
  ::signal(SIGPIPE, SIG_IGN);
  ctx_ = SSL_CTX_new(TLS_server_method());
  check(ctx_ && SSL_CTX_use_certificate(ctx_, pki.leaf) == 1 && SSL_CTX_use_PrivateKey(ctx_, pki.leaf_key) == 1 &&
            SSL_CTX_add1_chain_cert(ctx_, pki.ca) == 1,
        "TLS server context");
  fd_ = listen_loopback(port_);
  thread_ = std::thread([this] { serve(); });
}

TlsServer::~TlsServer() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
  SSL_CTX_free(ctx_);
}

std::string TlsServer::last_servername() const {
  std::lock_guard<std::mutex> lock(mu_);
  return servername_;
}

void TlsServer::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    timeval tv{5, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, c);
    if (SSL_accept(ssl) == 1) {
      ++handshakes_;
      const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      std::lock_guard<std::mutex> lock(mu_);
      servername_ = sni ? sni : "";
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    ERR_clear_error();
    ::close(c);
  }
}

int unused_port() {
  int port = 0;
  int fd = listen_loopback(port);
  ::close(fd);
  return port;
}

SilentListener::SilentListener() { fd_ = listen_loopback(port_); }
SilentListener::~SilentListener() { ::close(fd_); }

bool SilentListener::client_connected(std::chrono::milliseconds within) {
  pollfd p{fd_, POLLIN, 0};  // a listening socket is readable while a connection waits
  return ::poll(&p, 1, static_cast<int>(within.count())) == 1;
}

bool SilentListener::client_hung_up(std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  auto left = [&] {
    return static_cast<int>(std::max<long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
  };
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, left()) <= 0) return false;
  int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return false;
  char buf[4096];
  bool closed = false;
  for (;;) {
    pollfd q{c, POLLIN, 0};
    if (::poll(&q, 1, left()) <= 0) break;
    ssize_t n = ::read(c, buf, sizeof buf);
    if (n <= 0) {  // EOF or reset: the client closed its end
      closed = true;
      break;
    }
  }
  ::close(c);
  return closed;
}

}  // namespace toolgate::testing
