// The dns plugin through the real binary, against a DNS server the test runs on 127.0.0.1
// (support/dns_responder.hpp), so nothing here depends on the network or the host's resolver.
#include <gtest/gtest.h>

#include <filesystem>

#include "dns_responder.hpp"
#include "reference_fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

class Dns : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_.file("plugins"));
    stage_reference_plugin(dir_.file("plugins"), "dns",
                           {{"nameserver", dns_.address()}, {"timeoutSeconds", 1}, {"attempts", 1}});
    tg_ = start_toolgate(dir_.file("plugins"), dir_.path());
  }

  json::object lookup(const std::string& host, const std::string& type) {
    return tg_->call_tool("dns_lookup", {{"hostname", host}, {"type", type}});
  }

  // Values of the records, in answer order.
  static std::vector<std::string> values(const json::object& result) {
    std::vector<std::string> out;
    for (const auto& r : structured(result).at("records").as_array())
      out.emplace_back(r.as_object().at("value").as_string());
    return out;
  }

  DnsResponder dns_;
  TempDir dir_;
  std::unique_ptr<McpProcess> tg_;
};

using Values = std::vector<std::string>;

TEST_F(Dns, ARecordReturnsEveryAddressWithItsTtl) {
  json::object r = tg_->call_tool("dns_a_record", {{"hostname", "www.example.test"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const json::object& s = structured(r);
  EXPECT_EQ(s.at("name"), "www.example.test");
  EXPECT_EQ(s.at("type"), "A");
  EXPECT_EQ(values(r), (Values{"192.0.2.10", "192.0.2.11"}));
  EXPECT_EQ(s.at("records").as_array()[0].as_object().at("ttl"), 300);
  EXPECT_NE(text_of(r).find("192.0.2.11"), std::string::npos);
  EXPECT_GE(dns_.queries(), 1);
}

TEST_F(Dns, TrailingDotAndCaseAreAccepted) {
  json::object r = tg_->call_tool("dns_a_record", {{"hostname", "WWW.Example.Test."}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(values(r), (Values{"192.0.2.10", "192.0.2.11"}));
}

TEST_F(Dns, LookupDefaultsToA) {
  json::object r = tg_->call_tool("dns_lookup", {{"hostname", "www.example.test"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(structured(r).at("type"), "A");
}

TEST_F(Dns, LookupAaaa) {
  json::object r = lookup("www.example.test", "AAAA");
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(values(r), (Values{"2001:db8::10"}));
  EXPECT_EQ(structured(r).at("records").as_array()[0].as_object().at("ttl"), 600);
}

TEST_F(Dns, LookupMxCarriesPriority) {
  json::object r = lookup("example.test", "MX");
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const json::array& recs = structured(r).at("records").as_array();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].as_object().at("value"), "mail.example.test");
  EXPECT_EQ(recs[0].as_object().at("priority"), 10);
  EXPECT_EQ(recs[1].as_object().at("value"), "backup.example.test");
  EXPECT_EQ(recs[1].as_object().at("priority"), 20);
  EXPECT_EQ(recs[1].as_object().at("ttl"), 3600);
}

TEST_F(Dns, LookupTxtJoinsTheStringsOfOneRecord) {
  json::object r = lookup("example.test", "TXT");
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(values(r), (Values{"v=spf1 -all", "part one part two"}));
  EXPECT_FALSE(structured(r).at("records").as_array()[0].as_object().contains("priority"));
}

TEST_F(Dns, LookupNs) {
  json::object r = lookup("example.test", "NS");
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(values(r), (Values{"ns1.example.test", "ns2.example.test"}));
}

TEST_F(Dns, LookupCname) {
  json::object r = lookup("alias.example.test", "CNAME");
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(values(r), (Values{"www.example.test"}));
  EXPECT_EQ(structured(r).at("records").as_array()[0].as_object().at("ttl"), 60);
}

TEST_F(Dns, AddressLookupOfAnAliasNamesTheCanonicalName) {
  json::object r = tg_->call_tool("dns_a_record", {{"hostname", "alias.example.test"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(values(r), (Values{"192.0.2.10", "192.0.2.11"}));
  EXPECT_EQ(structured(r).at("canonicalName"), "www.example.test");
}

TEST_F(Dns, NxdomainIsAClearError) {
  json::object r = lookup("missing.example.test", "A");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "missing.example.test does not exist (NXDOMAIN from nameserver " + dns_.address() + ")");
  EXPECT_EQ(error_code(r), "tool_error");
}

TEST_F(Dns, NoDataIsAClearError) {
  json::object r = lookup("nodata.example.test", "MX");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "nodata.example.test exists but has no MX records (no data)");
}

TEST_F(Dns, TimeoutIsAClearErrorWithinTheConfiguredBound) {
  auto start = std::chrono::steady_clock::now();
  json::object r = lookup("slow.example.test", "A");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "looking up A records for slow.example.test timed out: no answer from nameserver " +
                            dns_.address() + " within 1s x 1 attempts");
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(Dns, ServfailIsReported) {
  json::object r = lookup("fail.example.test", "TXT");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "looking up TXT records for fail.example.test failed: nameserver " + dns_.address() +
                            " answered SERVFAIL");
}

TEST_F(Dns, UnsupportedTypeIsRefusedByTheManifestSchema) {
  json::object r = lookup("example.test", "SRV");
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(error_code(r), "invalid_input");
}

TEST_F(Dns, MalformedHostnameIsAClearError) {
  json::object r = tg_->call_tool("dns_a_record", {{"hostname", "a..b"}});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), "'a..b' is not a valid hostname (empty label)");
}

TEST_F(Dns, ToolsAreListedReadOnlyWithOutputSchemas) {
  json::value list = tg_->request("tools/list");
  int seen = 0;
  for (const auto& t : list.as_object().at("result").as_object().at("tools").as_array()) {
    const json::object& tool = t.as_object();
    if (tool.at("name") != "dns_a_record" && tool.at("name") != "dns_lookup") continue;  // host built-ins
    ++seen;
    EXPECT_EQ(tool.at("annotations").as_object().at("readOnlyHint"), true) << tool.at("name");
    EXPECT_TRUE(tool.contains("outputSchema")) << tool.at("name");
  }
  EXPECT_EQ(seen, 2);
}

TEST(DnsConfig, BadNameserverRefusesToLoadWithTheReason) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("plugins"));
  stage_reference_plugin(dir.file("plugins"), "dns", {{"nameserver", "localhost:53"}});
  auto tg = start_toolgate(dir.file("plugins"), dir.path());
  json::value list = tg->request("tools/list");
  for (const auto& t : list.as_object().at("result").as_object().at("tools").as_array())
    EXPECT_NE(std::string(t.as_object().at("name").as_string()).rfind("dns_", 0), 0u) << t.as_object().at("name");
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  EXPECT_NE(tg->stderr_text().find("expected an IPv4 address"), std::string::npos) << tg->stderr_text();
}

}  // namespace
