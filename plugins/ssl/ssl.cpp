// ssl plugin: ssl_certificate reports the certificate chain of a TLS server, or of PEM text or
// a PEM file, and whether it verifies against the system trust store. Read-only: it opens a
// connection and completes a handshake, nothing more. Config (manifest "config"):
//   timeoutSeconds  1-60, default 10: connect and handshake deadline
//   allowPemFiles   default true: whether "pem" may name a file on the host (operators who
//                   do not want callers probing the host's file system turn it off)
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cert_info.hpp"
#include "tls_fetch.hpp"

namespace json = boost::json;
using namespace toolgate::ssl;

namespace {

struct Options {
  int timeout_seconds = 10;
  bool allow_pem_files = true;
};
// Fixed by init before any call; read-only afterwards.
Options g_options;
constexpr std::size_t kMaxPemBytes = 1 << 20;

void configure(std::string_view config_json) {
  Options o;
  json::value cfg = config_json.empty() ? json::value(json::object()) : json::parse(config_json);
  if (!cfg.is_object()) throw std::invalid_argument("ssl config: expected a JSON object");
  for (const auto& [key, value] : cfg.as_object()) {
    if (key == "timeoutSeconds") {
      if (!value.is_int64() || value.as_int64() < 1 || value.as_int64() > 60)
        throw std::invalid_argument("ssl config: \"timeoutSeconds\" must be an integer from 1 to 60");
      o.timeout_seconds = static_cast<int>(value.as_int64());
    } else if (key == "allowPemFiles") {
      if (!value.is_bool()) throw std::invalid_argument("ssl config: \"allowPemFiles\" must be true or false");
      o.allow_pem_files = value.as_bool();
    } else {
      throw std::invalid_argument("ssl config: unknown key \"" + std::string(key) +
                                  "\" (expected timeoutSeconds, allowPemFiles)");
    }
  }
  g_options = o;
}

std::string read_pem_file(const std::string& path) {
  if (!g_options.allow_pem_files)
    throw std::runtime_error("reading PEM files is disabled on this server; pass the PEM text instead");
  if (path.empty() || path[0] != '/')
    throw std::runtime_error("\"pem\" must be PEM text or an absolute path to a PEM file, got '" + path + "'");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read PEM file " + path + ": " + std::strerror(errno));
  std::string text(kMaxPemBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxPemBytes) throw std::runtime_error("PEM file " + path + " is larger than 1 MiB");
  return text;
}

std::string summary(const json::object& out) {
  std::ostringstream s;
  if (out.at("source") == "tls")
    s << json::value_to<std::string>(out.at("host")) << ":" << out.at("port").as_int64() << " ("
      << json::value_to<std::string>(out.at("protocol")) << ", " << json::value_to<std::string>(out.at("cipher"))
      << ")";
  else
    s << "PEM input";
  s << ": chain " << (out.at("verified").as_bool() ? "verifies" : "does not verify") << " against the system store ("
    << json::value_to<std::string>(out.at("verification")) << ")";
  int i = 0;
  for (const auto& v : out.at("chain").as_array()) {
    const json::object& c = v.as_object();
    s << "\n[" << i++ << "] " << json::value_to<std::string>(c.at("subject"));
    std::string sans;
    for (const auto& n : c.at("subjectAltNames").as_array()) sans += (sans.empty() ? "" : ", ") + std::string(n.as_string());
    if (!sans.empty()) s << "\n    SANs: " << sans;
    s << "\n    issuer: " << json::value_to<std::string>(c.at("issuer")) << "\n    valid "
      << json::value_to<std::string>(c.at("notBefore")) << " to " << json::value_to<std::string>(c.at("notAfter"))
      << " (" << c.at("daysLeft").as_int64() << " days left)\n    key: "
      << json::value_to<std::string>(c.at("keyType")) << " " << c.at("keyBits").as_int64()
      << " bits; serial " << json::value_to<std::string>(c.at("serial")) << "\n    sha256 "
      << json::value_to<std::string>(c.at("sha256Fingerprint"));
  }
  return s.str();
}

toolgate::Result inspect(const toolgate::Call& call, const json::object& args) {
  const json::value* host = args.if_contains("host");
  const json::value* pem = args.if_contains("pem");
  if ((host != nullptr) == (pem != nullptr))
    return toolgate::Result::error("give either \"host\" (a TLS server) or \"pem\" (PEM text or a file path), not " +
                                   std::string(host ? "both" : "neither"));
  std::string servername;
  if (const json::value* sn = args.if_contains("servername")) servername = std::string(sn->as_string());

  json::object out;
  std::vector<X509Ptr> owned;
  if (host) {
    std::string h(host->as_string());
    int port = args.contains("port") ? static_cast<int>(args.at("port").to_number<std::int64_t>()) : 443;
    // A cancelled call stops waiting for the server within one poll slice.
    TlsPeer peer = fetch_chain(h, port, servername, g_options.timeout_seconds, [&call] { return call.cancelled(); });
    out = {{"source", "tls"}, {"host", h}, {"port", port}, {"address", peer.address},
           {"protocol", peer.protocol}, {"cipher", peer.cipher}};
    if (servername.empty()) servername = h;
    owned = std::move(peer.chain);
  } else {
    std::string p(pem->as_string());
    bool is_text = p.find("-----BEGIN") != std::string::npos;
    std::string origin = is_text ? "the given PEM text" : p;
    owned = parse_pem(is_text ? p : read_pem_file(p), origin);
    out = {{"source", "pem"}};
    if (!is_text) out["file"] = p;
  }
  if (!servername.empty()) out["servername"] = servername;

  std::vector<X509*> chain;
  json::array described;
  for (auto& c : owned) {
    chain.push_back(c.get());
    described.push_back(describe_certificate(c.get()));
  }
  Verification v = verify_chain(chain, servername);
  out["verified"] = v.ok;
  out["verification"] = v.message;
  out["chain"] = std::move(described);
  return toolgate::Result::text(summary(out)).set_structured(json::serialize(out));
}

// Connection and parsing failures are the caller's business, so they come back as tool errors
// with the reason (the SDK would do the same for any exception; this keeps it explicit).
toolgate::Result ssl_certificate(toolgate::Call& call, std::string_view args) {
  json::value v = json::parse(args);
  try {
    return inspect(call, v.as_object());
  } catch (const std::exception& e) {
    return toolgate::Result::error(e.what());
  }
}

}  // namespace

TOOLGATE_PLUGIN("ssl", "1.0.0") {
  plugin.on_init([](const tg_host_api*, std::string_view config) { configure(config); });
  plugin.tool("ssl_certificate", ssl_certificate);
}
