// The security_audit plugin through the real binary, as a job polled with the job tools. DNS
// comes from the test's own responder (support/dns_responder.hpp: secure.example.test and
// weak.example.test point at 127.0.0.1) and TLS from a local server with a certificate the test
// generates, so nothing here needs the internet.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "dns_responder.hpp"
#include "reference_fixture.hpp"
#include "tls_server.hpp"

namespace json = boost::json;
using namespace toolgate::testing;
using Clock = std::chrono::steady_clock;

namespace {

class SecurityAudit : public ::testing::Test {
 protected:
  void start(int tls_timeout_seconds = 5) {
    std::filesystem::create_directory(dir_.file("plugins"));
    stage_reference_plugin(dir_.file("plugins"), "security_audit",
                           {{"nameserver", dns_.address()}, {"timeoutSeconds", 1}, {"attempts", 1},
                            {"tlsTimeoutSeconds", tls_timeout_seconds}});
    tg_ = start_toolgate(dir_.file("plugins"), dir_.path());
  }

  std::string start_audit(json::object args) {
    json::object r = tg_->call_tool("start_security_audit", std::move(args));
    EXPECT_FALSE(is_error(r)) << text_of(r);
    const json::object& s = structured(r);
    EXPECT_EQ(s.at("status"), "running");
    EXPECT_EQ(s.at("pollTool"), "job_status");
    return std::string(s.at("jobId").as_string());
  }

  json::object status(const std::string& id) { return tg_->call_tool("job_status", {{"jobId", id}}); }

  // Polls job_status until the job is no longer running; fails after 20 s.
  json::object await_end(const std::string& id) {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    for (;;) {
      json::object r = status(id);
      if (is_error(r) || structured(r).at("status") != "running") return r;
      if (Clock::now() > deadline) {
        ADD_FAILURE() << "job " << id << " still running after 20 s: " << json::serialize(r);
        return r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // pacing only: the loop waits on state
    }
  }

  json::array partials(const std::string& id) {
    json::object r = tg_->call_tool("job_partial_results", {{"jobId", id}});
    EXPECT_FALSE(is_error(r)) << text_of(r);
    return structured(r).at("partials").as_array();
  }

  // Every finding id of one check result (or of the final list).
  static std::vector<std::string> ids(const json::array& findings) {
    std::vector<std::string> out;
    for (const auto& f : findings) out.emplace_back(f.as_object().at("id").as_string());
    return out;
  }
  static const json::object& check(const json::object& result, const std::string& name) {
    for (const auto& c : result.at("checks").as_array())
      if (c.as_object().at("check") == name.c_str()) return c.as_object();
    throw std::runtime_error("no " + name + " check in " + json::serialize(result));
  }

  DnsResponder dns_;
  TestPki pki_;
  TempDir dir_;
  std::unique_ptr<McpProcess> tg_;
};

TEST_F(SecurityAudit, AuditsAWellKeptDomainCheckByCheckWithPartialsAndProgress) {
  TlsServer tls(pki_);
  start();
  std::string id = start_audit({{"domain", "secure.example.test"}, {"port", tls.port()}});
  json::object end = await_end(id);
  const json::object& s = structured(end);
  ASSERT_EQ(s.at("status"), "complete") << json::serialize(end);
  // The last progress report is the one a finished job shows: all four checks done.
  ASSERT_TRUE(s.contains("progress")) << json::serialize(s);
  EXPECT_EQ(s.at("progress").at("progress"), 4);
  EXPECT_EQ(s.at("progress").at("total"), 4);
  EXPECT_EQ(s.at("progress").at("message"), "dmarc checked: 0 finding(s)");

  const json::object& result = s.at("result").at("structuredContent").as_object();
  EXPECT_EQ(result.at("domain"), "secure.example.test");
  const json::object& dns = check(result, "dns");
  EXPECT_EQ(dns.at("details").at("a"), (json::array{"127.0.0.1"}));
  EXPECT_EQ(dns.at("details").at("mx"), (json::array{json::object{{"priority", 10}, {"host", "mail.secure.example.test"}}}));
  EXPECT_EQ(dns.at("details").at("ns"), (json::array{"ns1.example.test", "ns2.example.test"}));
  EXPECT_EQ(ids(dns.at("findings").as_array()), (std::vector<std::string>{"dns.no_ipv6"}));
  EXPECT_EQ(dns.at("status"), "pass");  // an info finding is not a failure

  // The TLS check reached the local server at the address DNS gave, with the domain as SNI.
  const json::object& ssl = check(result, "ssl");
  EXPECT_EQ(tls.handshakes(), 1);
  EXPECT_EQ(tls.last_servername(), "secure.example.test");
  EXPECT_EQ(ssl.at("details").at("address"), "127.0.0.1");
  EXPECT_EQ(ssl.at("details").at("daysLeft"), 30);
  EXPECT_EQ(ssl.at("details").at("chain").as_array().size(), 2u);
  EXPECT_EQ(ssl.at("details").at("chain").at(0).at("commonName"), "localhost");
  EXPECT_EQ(ssl.at("details").at("verified"), false);
  // Our CA is not in the system store and the certificate names localhost: a high finding.
  EXPECT_EQ(ids(ssl.at("findings").as_array()), (std::vector<std::string>{"ssl.untrusted"}));
  EXPECT_EQ(ssl.at("findings").at(0).at("severity"), "high");
  EXPECT_EQ(ssl.at("status"), "fail");

  const json::object& spf = check(result, "spf");
  EXPECT_EQ(spf.at("details").at("record"), "v=spf1 ip4:192.0.2.0/24 mx -all");  // joined TXT strings
  EXPECT_EQ(spf.at("details").at("allQualifier"), "-");
  EXPECT_EQ(spf.at("status"), "pass");
  const json::object& dmarc = check(result, "dmarc");
  EXPECT_EQ(dmarc.at("details").at("policy"), "reject");
  EXPECT_EQ(dmarc.at("details").at("rua"), (json::array{"mailto:dmarc@secure.example.test"}));
  EXPECT_EQ(dmarc.at("status"), "pass");

  EXPECT_EQ(ids(result.at("findings").as_array()), (std::vector<std::string>{"ssl.untrusted", "dns.no_ipv6"}));
  EXPECT_EQ(result.at("summary"),
            (json::object{{"critical", 0}, {"high", 1}, {"medium", 0}, {"low", 0}, {"info", 1}}));
  EXPECT_EQ(result.at("highestSeverity"), "high");
  // job_status shows the tool's own text after its summary line.
  const json::array& content = end.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  std::string report(content[1].at("text").as_string());
  EXPECT_EQ(report.rfind("Security audit of secure.example.test: 1 high, 1 info\n  [high] ssl: the certificate "
                         "chain does not verify for secure.example.test: ",
                         0),
            0u)
      << report;

  // One partial per check, in run order, each the same result the final one holds.
  json::array parts = partials(id);
  ASSERT_EQ(parts.size(), 4u) << json::serialize(parts);
  const char* order[] = {"dns", "ssl", "spf", "dmarc"};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(parts[i].at("seq"), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(parts[i].at("data").at("check"), order[i]);
    EXPECT_EQ(parts[i].at("data"), result.at("checks").at(i));
  }
}

TEST_F(SecurityAudit, ABadlyKeptDomainGetsSeveritiesFromItsMailRecords) {
  start();
  std::string id = start_audit({{"domain", "Weak.Example.Test."}, {"checks", json::array{"dmarc", "spf", "dns"}}});
  json::object end = await_end(id);
  const json::object& s = structured(end);
  ASSERT_EQ(s.at("status"), "complete") << json::serialize(end);
  EXPECT_EQ(s.at("progress").at("total"), 3);
  const json::object& result = s.at("result").at("structuredContent").as_object();
  EXPECT_EQ(result.at("domain"), "weak.example.test");
  // Run order is fixed whatever order the checks were asked in; ssl was not asked for.
  json::array parts = partials(id);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].at("data").at("check"), "dns");
  EXPECT_EQ(parts[1].at("data").at("check"), "spf");
  EXPECT_EQ(parts[2].at("data").at("check"), "dmarc");

  EXPECT_EQ(check(result, "spf").at("details").at("allQualifier"), "+");
  EXPECT_EQ(check(result, "dmarc").at("details").at("policy"), "none");
  EXPECT_EQ(ids(result.at("findings").as_array()),
            (std::vector<std::string>{"spf.plus_all", "dmarc.policy_none", "dmarc.no_reports", "dns.no_ipv6",
                                      "dns.no_mx", "dns.no_ns"}));
  EXPECT_EQ(result.at("findings").at(0).at("severity"), "critical");
  EXPECT_EQ(result.at("highestSeverity"), "critical");
  EXPECT_EQ(result.at("summary"),
            (json::object{{"critical", 1}, {"high", 0}, {"medium", 1}, {"low", 1}, {"info", 3}}));
}

TEST_F(SecurityAudit, ResolverFailuresAndMissingServersAreFindingsNotErrors) {
  // A domain the zone does not have, and a nameserver that is not there at all.
  start();
  std::string id = start_audit({{"domain", "missing.example.test"}, {"port", unused_port()}});
  json::object end = await_end(id);
  ASSERT_EQ(structured(end).at("status"), "complete") << json::serialize(end);
  const json::object& result = structured(end).at("result").at("structuredContent").as_object();
  EXPECT_EQ(ids(check(result, "dns").at("findings").as_array()), (std::vector<std::string>{"dns.nxdomain"}));
  EXPECT_EQ(check(result, "dns").at("findings").at(0).at("severity"), "critical");
  EXPECT_EQ(ids(check(result, "ssl").at("findings").as_array()), (std::vector<std::string>{"ssl.unreachable"}));
  EXPECT_EQ(ids(check(result, "spf").at("findings").as_array()), (std::vector<std::string>{"spf.missing"}));
  EXPECT_EQ(ids(check(result, "dmarc").at("findings").as_array()), (std::vector<std::string>{"dmarc.missing"}));
  EXPECT_EQ(result.at("highestSeverity"), "critical");
}

TEST_F(SecurityAudit, ALookupThatFailsMarksTheCheckAsAnError) {
  std::filesystem::create_directory(dir_.file("plugins"));
  // Nothing answers DNS on this port: every lookup fails, and the audit still completes.
  stage_reference_plugin(dir_.file("plugins"), "security_audit",
                         {{"nameserver", "127.0.0.1:" + std::to_string(unused_port())}, {"timeoutSeconds", 1},
                          {"attempts", 1}});
  tg_ = start_toolgate(dir_.file("plugins"), dir_.path());
  std::string id = start_audit({{"domain", "secure.example.test"}, {"checks", json::array{"spf", "dmarc"}}});
  json::object end = await_end(id);
  ASSERT_EQ(structured(end).at("status"), "complete") << json::serialize(end);
  const json::object& result = structured(end).at("result").at("structuredContent").as_object();
  const json::object& spf = check(result, "spf");
  EXPECT_EQ(spf.at("status"), "error");
  EXPECT_EQ(ids(spf.at("findings").as_array()), (std::vector<std::string>{"spf.lookup_failed"}));
  std::string message(spf.at("findings").at(0).at("message").as_string());
  EXPECT_EQ(message.rfind("could not read the TXT records of secure.example.test: looking up TXT records for "
                          "secure.example.test ",
                          0),
            0u)
      << message;
  EXPECT_EQ(check(result, "dmarc").at("status"), "error");
  EXPECT_EQ(result.at("summary").at("medium"), 2);
}

TEST_F(SecurityAudit, CancelStopsTheAuditWhileItWaitsOnATlsHandshake) {
  SilentListener silent;  // accepts connections at the TCP level and never answers the handshake
  start(/*tls_timeout_seconds=*/60);
  std::string id = start_audit({{"domain", "secure.example.test"}, {"port", silent.port()}});
  // The dns partial means the audit has moved on to the ssl check, which can only hang.
  auto deadline = Clock::now() + std::chrono::seconds(20);
  json::array parts;
  while ((parts = partials(id)).empty() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // pacing only
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].at("data").at("check"), "dns");
  // The plugin is now connected and waiting for a ServerHello that never comes.
  ASSERT_TRUE(silent.client_connected(std::chrono::seconds(10)));
  json::object running = status(id);
  EXPECT_EQ(structured(running).at("status"), "running");
  EXPECT_EQ(structured(running).at("progress").at("progress"), 1);
  EXPECT_EQ(structured(running).at("progress").at("total"), 4);

  auto cancelled_at = Clock::now();
  json::object c = tg_->call_tool("job_cancel", {{"jobId", id}});
  ASSERT_FALSE(is_error(c)) << text_of(c);
  json::object end = await_end(id);
  EXPECT_EQ(structured(end).at("status"), "cancelled") << json::serialize(end);
  // The plugin itself let go: it closed its connection long before its 60 s handshake timeout.
  EXPECT_TRUE(silent.client_hung_up(std::chrono::seconds(10)));
  EXPECT_LT(Clock::now() - cancelled_at, std::chrono::seconds(15));
  // Nothing more was recorded after the cancellation.
  EXPECT_EQ(partials(id).size(), 1u);
}

TEST_F(SecurityAudit, NeedsItsOwnScope) {
  std::filesystem::create_directory(dir_.file("plugins"));
  stage_reference_plugin(dir_.file("plugins"), "security_audit", {{"nameserver", dns_.address()}});
  Caller caller;
  caller.scopes = {"dns.read", "ssl.read", "jobs.read", "jobs.cancel"};
  tg_ = start_toolgate(dir_.file("plugins"), dir_.path(), caller);
  json::object r = tg_->call_tool("start_security_audit", {{"domain", "secure.example.test"}});
  EXPECT_TRUE(is_error(r));
  EXPECT_EQ(error_code(r), "insufficient_scope");
  EXPECT_NE(text_of(r).find("'security.audit'"), std::string::npos) << text_of(r);
}

}  // namespace
