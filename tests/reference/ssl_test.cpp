// The ssl plugin through the real binary, against a TLS server the test runs on 127.0.0.1 with
// a CA and leaf certificate it generates (support/tls_server.hpp), and against PEM input.
#include <gtest/gtest.h>

#include <filesystem>

#include "reference_fixture.hpp"
#include "tls_server.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

class Ssl : public ::testing::Test {
 protected:
  void start(const json::object& config = {{"timeoutSeconds", 2}}) {
    std::filesystem::create_directory(dir_.file("plugins"));
    stage_reference_plugin(dir_.file("plugins"), "ssl", config);
    tg_ = start_toolgate(dir_.file("plugins"), dir_.path());
  }

  // What every test expects of the generated leaf certificate.
  void expect_leaf(const json::object& c) {
    EXPECT_EQ(c.at("subject"), "CN=localhost,O=toolgate tests");
    EXPECT_EQ(c.at("commonName"), "localhost");
    EXPECT_EQ(strings(c.at("subjectAltNames")), (std::vector<std::string>{"DNS:localhost", "IP:127.0.0.1"}));
    EXPECT_EQ(c.at("issuer"), "CN=toolgate test CA,O=toolgate tests");
    EXPECT_EQ(c.at("daysLeft"), 30);
    EXPECT_EQ(c.at("expired"), false);
    EXPECT_EQ(c.at("keyType"), "RSA");
    EXPECT_EQ(c.at("keyBits"), 2048);
    EXPECT_EQ(c.at("serial"), json::value(pki_.leaf_serial_hex()));
    EXPECT_EQ(c.at("sha256Fingerprint"), json::value(pki_.leaf_sha256()));
    EXPECT_EQ(c.at("signatureAlgorithm"), "ecdsa-with-SHA256");
    EXPECT_EQ(c.at("isCA"), false);
    std::string not_after(c.at("notAfter").as_string());
    EXPECT_EQ(not_after.size(), 20u) << not_after;  // 2026-01-31T12:00:00Z
    EXPECT_EQ(not_after.back(), 'Z');
    EXPECT_EQ(not_after[10], 'T');
  }

  TestPki pki_;
  TempDir dir_;
  std::unique_ptr<McpProcess> tg_;
};

TEST_F(Ssl, ReportsTheChainALocalTlsServerPresents) {
  TlsServer server(pki_);
  start();
  json::object r = tg_->call_tool("ssl_certificate", {{"host", "127.0.0.1"}, {"port", server.port()}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const json::object& s = structured(r);
  EXPECT_EQ(s.at("source"), "tls");
  EXPECT_EQ(s.at("address"), "127.0.0.1");
  EXPECT_EQ(std::string(s.at("protocol").as_string()).rfind("TLSv1.", 0), 0u);
  const json::array& chain = s.at("chain").as_array();
  ASSERT_EQ(chain.size(), 2u);
  expect_leaf(chain[0].as_object());
  const json::object& ca = chain[1].as_object();
  EXPECT_EQ(ca.at("subject"), "CN=toolgate test CA,O=toolgate tests");
  EXPECT_EQ(ca.at("keyType"), "EC");
  EXPECT_EQ(ca.at("keyBits"), 256);
  EXPECT_EQ(ca.at("keyCurve"), "prime256v1");
  EXPECT_EQ(ca.at("selfSigned"), true);
  EXPECT_EQ(ca.at("isCA"), true);
  // Our CA is not in the system store: reported, not an error.
  EXPECT_EQ(s.at("verified"), false);
  EXPECT_NE(s.at("verification"), "ok");
  EXPECT_NE(text_of(r).find("(30 days left)"), std::string::npos) << text_of(r);
  EXPECT_EQ(server.handshakes(), 1);
}

TEST_F(Ssl, ServernameIsSentAsSni) {
  TlsServer server(pki_);
  start();
  json::object r = tg_->call_tool("ssl_certificate",
                                  {{"host", "127.0.0.1"}, {"port", server.port()}, {"servername", "localhost"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(structured(r).at("servername"), "localhost");
  EXPECT_EQ(server.last_servername(), "localhost");
}

TEST_F(Ssl, PemFileGivesTheSameReport) {
  write_text(dir_.file("leaf.pem"), pki_.leaf_pem());
  start();
  json::object r = tg_->call_tool("ssl_certificate", {{"pem", dir_.file("leaf.pem")}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const json::object& s = structured(r);
  EXPECT_EQ(s.at("source"), "pem");
  EXPECT_EQ(s.at("file"), json::value(dir_.file("leaf.pem")));
  ASSERT_EQ(s.at("chain").as_array().size(), 1u);
  expect_leaf(s.at("chain").as_array()[0].as_object());
  EXPECT_EQ(s.at("verified"), false);
}

TEST_F(Ssl, PemTextWithAChainAndAKeyReportsEveryCertificate) {
  start();
  // A private key in the input is skipped, never echoed back.
  std::string pem = pki_.leaf_key_pem() + pki_.leaf_pem() + pki_.ca_pem();
  json::object r = tg_->call_tool("ssl_certificate", {{"pem", pem}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const json::array& chain = structured(r).at("chain").as_array();
  ASSERT_EQ(chain.size(), 2u);
  expect_leaf(chain[0].as_object());
  EXPECT_EQ(chain[1].as_object().at("isCA"), true);
  EXPECT_EQ(text_of(r).find("PRIVATE KEY"), std::string::npos);
}

TEST_F(Ssl, ConnectionRefusedIsAClearError) {
  start();
  int port = unused_port();
  json::object r = tg_->call_tool("ssl_certificate", {{"host", "127.0.0.1"}, {"port", port}});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "cannot connect to 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_F(Ssl, SilentServerTimesOutInTheHandshake) {
  SilentListener silent;
  start({{"timeoutSeconds", 1}});
  auto begin = std::chrono::steady_clock::now();
  json::object r = tg_->call_tool("ssl_certificate", {{"host", "127.0.0.1"}, {"port", silent.port()}});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "TLS handshake with 127.0.0.1:" + std::to_string(silent.port()) + " failed: timed out after 1s");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
}

// A cancelled call lets go of the server at once instead of waiting out its 60 s timeout: the
// fetch asks the call whether it was cancelled between 100 ms waits.
TEST_F(Ssl, CancellingTheCallHangsUpOnTheServer) {
  SilentListener silent;
  start({{"timeoutSeconds", 60}});
  tg_->send_json(json::object{{"jsonrpc", "2.0"},
                              {"id", "ssl-1"},
                              {"method", "tools/call"},
                              {"params", {{"name", "ssl_certificate"},
                                          {"arguments", {{"host", "127.0.0.1"}, {"port", silent.port()}}}}}});
  ASSERT_TRUE(silent.client_connected(std::chrono::seconds(10)));
  tg_->notify("notifications/cancelled", {{"requestId", "ssl-1"}, {"reason", "user pressed stop"}});
  EXPECT_TRUE(silent.client_hung_up(std::chrono::seconds(10))) << "still connected 10 s after the cancellation";
  EXPECT_TRUE(is_error(tg_->call_tool("ssl_certificate", {{"host", "127.0.0.1"}, {"port", unused_port()}})))
      << "the server stopped serving";
}

TEST_F(Ssl, HostAndPemTogetherIsAnError) {
  start();
  json::object r = tg_->call_tool("ssl_certificate", {{"host", "127.0.0.1"}, {"pem", pki_.leaf_pem()}});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "give either \"host\" (a TLS server) or \"pem\" (PEM text or a file path), not both");
  r = tg_->call_tool("ssl_certificate", {});
  EXPECT_EQ(text_of(r), "give either \"host\" (a TLS server) or \"pem\" (PEM text or a file path), not neither");
}

TEST_F(Ssl, PemProblemsAreClearErrors) {
  write_text(dir_.file("empty.pem"), "nothing to see\n");
  start();
  json::object r = tg_->call_tool("ssl_certificate", {{"pem", dir_.file("empty.pem")}});
  EXPECT_EQ(text_of(r), "no PEM certificate (-----BEGIN CERTIFICATE-----) found in " + dir_.file("empty.pem"));
  r = tg_->call_tool("ssl_certificate", {{"pem", dir_.file("absent.pem")}});
  EXPECT_EQ(text_of(r), "cannot read PEM file " + dir_.file("absent.pem") + ": No such file or directory");
  r = tg_->call_tool("ssl_certificate", {{"pem", "relative.pem"}});
  EXPECT_EQ(text_of(r), "\"pem\" must be PEM text or an absolute path to a PEM file, got 'relative.pem'");
  EXPECT_TRUE(is_error(r));
}

TEST_F(Ssl, PemFilesCanBeDisabledByConfig) {
  write_text(dir_.file("leaf.pem"), pki_.leaf_pem());
  start({{"allowPemFiles", false}});
  json::object r = tg_->call_tool("ssl_certificate", {{"pem", dir_.file("leaf.pem")}});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "reading PEM files is disabled on this server; pass the PEM text instead");
  r = tg_->call_tool("ssl_certificate", {{"pem", pki_.leaf_pem()}});
  EXPECT_FALSE(is_error(r)) << text_of(r);
}

}  // namespace
