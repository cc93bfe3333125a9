// Certificate inspection for the ssl plugin: turns X509 certificates into the JSON the tool
// returns (subject, SANs, issuer, validity in RFC 3339, days left, key type and size, serial,
// SHA-256 fingerprint), loads PEM input, and checks a chain against the system trust store.
// Pure functions over OpenSSL objects the caller owns; safe to use from concurrent calls.
#pragma once

#include <openssl/x509.h>

#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace toolgate::ssl {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

// One certificate as the tool reports it.
boost::json::object describe_certificate(X509* cert);

// Every certificate in PEM text, in order. Throws std::runtime_error if there is none.
std::vector<X509Ptr> parse_pem(const std::string& pem_text, const std::string& origin);

struct Verification {
  bool ok = false;
  std::string message;  // "ok" or OpenSSL's reason, e.g. "self-signed certificate"
};

// Verifies chain[0] against the default trust store, the rest of `chain` as untrusted
// intermediates; checks `hostname` too when it is not empty.
Verification verify_chain(const std::vector<X509*>& chain, const std::string& hostname);

// The most recent OpenSSL error as text, and clears the queue.
std::string openssl_error(const std::string& fallback);

// True when `host` is an IPv4 or IPv6 literal (no SNI; checked against IP SANs).
bool is_ip_literal(const std::string& host);

}  // namespace toolgate::ssl
