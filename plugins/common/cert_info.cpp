// X509 -> JSON for the ssl plugin, PEM parsing, and trust-store verification (see cert_info.hpp).
#include "cert_info.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <stdexcept>

namespace toolgate::ssl {

namespace json = boost::json;

namespace {

std::string name_rfc2253(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string common_name(const X509_NAME* name) {
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string rfc3339(const ASN1_TIME* t) {
  std::tm tm{};
  if (!ASN1_TIME_to_tm(t, &tm)) return "";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// IA5 is ASCII by definition, but a hostile certificate can carry any bytes; the result is
// JSON, so anything outside printable ASCII becomes '?'.
std::string ia5(const ASN1_IA5STRING* s) {
  std::string out(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '?';
  return out;
}

json::array subject_alt_names(X509* cert) {
  json::array out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    switch (gn->type) {
      case GEN_DNS: out.emplace_back("DNS:" + ia5(gn->d.dNSName)); break;
      case GEN_EMAIL: out.emplace_back("email:" + ia5(gn->d.rfc822Name)); break;
      case GEN_URI: out.emplace_back("URI:" + ia5(gn->d.uniformResourceIdentifier)); break;
      case GEN_IPADD: {
        char buf[INET6_ADDRSTRLEN] = "";
        int len = ASN1_STRING_length(gn->d.iPAddress);
        const unsigned char* p = ASN1_STRING_get0_data(gn->d.iPAddress);
        if (len == 4) inet_ntop(AF_INET, p, buf, sizeof buf);
        if (len == 16) inet_ntop(AF_INET6, p, buf, sizeof buf);
        out.emplace_back(std::string("IP:") + buf);
        break;
      }
      default: break;  // otherName, x400, directory names: rare in server certificates
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string hex_colon(const unsigned char* p, unsigned int n) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i) out.push_back(':');
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

std::string serial_hex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (!bn) return "";
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

void describe_key(X509* cert, json::object& out) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key) {
    out["keyType"] = "unknown";
    out["keyBits"] = 0;
    return;
  }
  const char* type = nullptr;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: type = "RSA"; break;
    case EVP_PKEY_RSA_PSS: type = "RSA-PSS"; break;
    case EVP_PKEY_EC: type = "EC"; break;
    case EVP_PKEY_ED25519: type = "Ed25519"; break;
    case EVP_PKEY_ED448: type = "Ed448"; break;
    case EVP_PKEY_DSA: type = "DSA"; break;
    default: type = OBJ_nid2sn(EVP_PKEY_get_base_id(key));
  }
  out["keyType"] = type ? type : "unknown";
  out["keyBits"] = EVP_PKEY_get_bits(key);
  char curve[64];
  std::size_t len = 0;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &len))
    out["keyCurve"] = std::string(curve, len);
}

}  // namespace

std::string openssl_error(const std::string& fallback) {
  unsigned long e = ERR_peek_last_error();
  std::string out = fallback;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    const char* reason = ERR_reason_error_string(e);
    out = reason ? reason : buf;
  }
  ERR_clear_error();
  return out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

json::object describe_certificate(X509* cert) {
  json::object out;
  out["subject"] = name_rfc2253(X509_get_subject_name(cert));
  if (std::string cn = common_name(X509_get_subject_name(cert)); !cn.empty()) out["commonName"] = cn;
  out["subjectAltNames"] = subject_alt_names(cert);
  out["issuer"] = name_rfc2253(X509_get_issuer_name(cert));
  out["notBefore"] = rfc3339(X509_get0_notBefore(cert));
  out["notAfter"] = rfc3339(X509_get0_notAfter(cert));
  int days = 0, seconds = 0;
  ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert));
  out["daysLeft"] = days;
  out["expired"] = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
  out["notYetValid"] = X509_cmp_current_time(X509_get0_notBefore(cert)) > 0;
  describe_key(cert, out);
  out["serial"] = serial_hex(cert);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  X509_digest(cert, EVP_sha256(), md, &md_len);
  out["sha256Fingerprint"] = hex_colon(md, md_len);
  const char* sig = OBJ_nid2ln(X509_get_signature_nid(cert));
  out["signatureAlgorithm"] = sig ? sig : "unknown";
  out["selfSigned"] = X509_self_signed(cert, 0) == 1;
  out["isCA"] = X509_check_ca(cert) > 0;
  return out;
}

std::vector<X509Ptr> parse_pem(const std::string& pem_text, const std::string& origin) {
  std::vector<X509Ptr> certs;
  BIO* bio = BIO_new_mem_buf(pem_text.data(), static_cast<int>(pem_text.size()));
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) certs.emplace_back(x);
  BIO_free(bio);
  ERR_clear_error();  // the loop always ends on a "no start line" error
  if (certs.empty()) throw std::runtime_error("no PEM certificate (-----BEGIN CERTIFICATE-----) found in " + origin);
  return certs;
}

Verification verify_chain(const std::vector<X509*>& chain, const std::string& hostname) {
  Verification v;
  if (chain.empty()) {
    v.message = "no certificate to verify";
    return v;
  }
  X509_STORE* store = X509_STORE_new();
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted, chain[i]);
  if (!store || !untrusted || !ctx || X509_STORE_set_default_paths(store) != 1 ||
      X509_STORE_CTX_init(ctx, store, chain[0], untrusted) != 1) {
    v.message = "cannot set up verification: " + openssl_error("out of memory");
  } else {
    if (!hostname.empty()) {
      X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
      if (is_ip_literal(hostname))
        X509_VERIFY_PARAM_set1_ip_asc(param, hostname.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, hostname.c_str(), hostname.size());
    }
    v.ok = X509_verify_cert(ctx) == 1;
    v.message = v.ok ? "ok" : X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
    ERR_clear_error();
  }
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);  // the certificates belong to the caller
  X509_STORE_free(store);
  return v;
}

}  // namespace toolgate::ssl
