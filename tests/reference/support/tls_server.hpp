// Test certificates and a local TLS server for the ssl plugin's tests, built with the OpenSSL
// API so the tests need no CLI tools. TestPki makes a CA (EC P-256, self-signed) and a leaf
// (RSA 2048, CN=localhost, SANs DNS:localhost and IP:127.0.0.1, valid 30 days and one hour
// from now) signed by it. TlsServer serves that leaf plus the CA as its chain on 127.0.0.1
// (an ephemeral port), on a thread of the test process: listening when the constructor returns,
// stopped and joined by the destructor. Each connection gets a handshake and a close.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace toolgate::testing {

struct TestPki {
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  EVP_PKEY* ca_key = nullptr;
  X509* ca = nullptr;
  EVP_PKEY* leaf_key = nullptr;
  X509* leaf = nullptr;

  std::string leaf_pem() const;
  std::string ca_pem() const;
  std::string leaf_key_pem() const;
  // "AB:CD:..." as the plugin reports it.
  std::string leaf_sha256() const;
  std::string leaf_serial_hex() const;
};

class TlsServer {
 public:
  explicit TlsServer(const TestPki& pki);
  ~TlsServer();
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  int port() const { return port_; }
  // The SNI name the last client sent ("" if none).
  std::string last_servername() const;
  int handshakes() const { return handshakes_; }

 private:
  void serve();

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  mutable std::mutex mu_;
  std::string servername_;
  std::thread thread_;
};

// A loopback TCP port with nothing listening on it (bound, then released).
int unused_port();

// A loopback socket that listens but never accepts or speaks: a TLS client's handshake on it
// can only time out. Closed by the destructor.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  int port() const { return port_; }
  // True once a client has connected (the connection waits in the backlog), within `within`.
  bool client_connected(std::chrono::milliseconds within);
  // Takes the first pending connection (waiting up to `within` for one) and reads until the
  // client closes it. True if the client hung up within `within`; a client still waiting for
  // a handshake answer keeps it open. Shows that a client gave up, e.g. after a cancellation.
  bool client_hung_up(std::chrono::milliseconds within);

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace toolgate::testing
