// Fetches the certificate chain a TLS server presents, for the ssl plugin. The connection is
// made with a deadline (non-blocking connect, then socket send/receive timeouts for the
// handshake) and closed right after the handshake; nothing is sent beyond the handshake.
// Each call uses its own socket, SSL_CTX and SSL, so concurrent calls share nothing.
#pragma once

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

// Throws std::runtime_error with a sentence for the model: cannot resolve, refused, timed out,
// handshake failed.
TlsPeer fetch_chain(const std::string& host, int port, const std::string& servername, int timeout_seconds);

}  // namespace toolgate::ssl
