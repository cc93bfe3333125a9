// Fetches the certificate chain a TLS server presents, for the ssl and security_audit plugins.
// The connection and the handshake run on a non-blocking socket against one deadline, waking at
// least every 100 ms to ask `should_stop` (a job's cancellation), and the connection is closed
// right after the handshake; nothing is sent beyond the handshake.
// Each call uses its own socket, SSL_CTX and SSL, so concurrent calls share nothing.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cert_info.hpp"

namespace toolgate::ssl {

struct TlsPeer {
  std::vector<X509Ptr> chain;  // as presented, leaf first
  std::string protocol;        // e.g. "TLSv1.3"
  std::string cipher;
  std::string address;         // the address actually connected to
};

// Thrown when `should_stop` returned true before the handshake finished.
class FetchStopped : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error with a sentence for the model: cannot resolve, refused, timed out,
// handshake failed; FetchStopped when asked to stop.
TlsPeer fetch_chain(const std::string& host, int port, const std::string& servername, int timeout_seconds,
                    const std::function<bool()>& should_stop = {});

}  // namespace toolgate::ssl
