// SPF and DMARC judging in the security_audit plugin, on fixed records: parsing (qualifiers,
// modifiers, joined strings, tags) and the findings and severities an audit reports for them.
#include <gtest/gtest.h>

#include "checks.hpp"
#include "mail_records.hpp"

using namespace toolgate::audit;
namespace json = boost::json;

namespace {

std::vector<std::string> ids(const CheckResult& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) out.push_back(f.id);
  return out;
}

}  // namespace

TEST(Spf, RecognisesOnlyVersion1RecordsCaseInsensitively) {
  EXPECT_TRUE(is_spf("v=spf1 -all"));
  EXPECT_TRUE(is_spf("V=SPF1 include:_spf.example.com ~all"));
  EXPECT_TRUE(is_spf("v=spf1"));
  EXPECT_FALSE(is_spf("v=spf10 -all"));
  EXPECT_FALSE(is_spf("v=spf2.0/pra -all"));
  EXPECT_FALSE(is_spf("google-site-verification=abc"));
}

TEST(Spf, ParsesMechanismsQualifiersModifiersAndLookups) {
  SpfRecord r = parse_spf("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com include:_spf.example.net "
                          "exists:%{i}.bl.example ptr exp=explain.example.com ~ALL");
  EXPECT_EQ(r.all_qualifier, '~');
  EXPECT_EQ(r.lookup_terms, 5);  // a, mx, include, exists, ptr
  EXPECT_TRUE(r.uses_ptr);
  EXPECT_FALSE(r.redirect);
  EXPECT_EQ(r.mechanisms.size(), 8u);  // exp= is a modifier, not a mechanism
  EXPECT_TRUE(r.problems.empty());

  SpfRecord plus = parse_spf("v=spf1 all");  // no qualifier means +
  EXPECT_EQ(plus.all_qualifier, '+');
  SpfRecord redirect = parse_spf("v=spf1 redirect=_spf.example.com");
  EXPECT_FALSE(redirect.all_qualifier);
  EXPECT_EQ(redirect.redirect, "_spf.example.com");
  EXPECT_EQ(redirect.lookup_terms, 1);
  SpfRecord bad = parse_spf("v=spf1 ipv4:1.2.3.4 all:foo -all");
  EXPECT_EQ(bad.problems, (std::vector<std::string>{"'ipv4:1.2.3.4' is not an SPF mechanism",
                                                    "'all:foo': all takes no argument"}));
  EXPECT_EQ(bad.all_qualifier, '-');
}

TEST(Spf, AllQualifierDecidesTheSeverity) {
  EXPECT_EQ(ids(evaluate_spf({"v=spf1 mx -all"})), std::vector<std::string>{});
  EXPECT_EQ(evaluate_spf({"v=spf1 mx -all"}).status, "pass");
  CheckResult plus = evaluate_spf({"v=spf1 +all"});
  EXPECT_EQ(ids(plus), std::vector<std::string>{"spf.plus_all"});
  EXPECT_EQ(plus.findings[0].severity, Severity::Critical);
  EXPECT_EQ(plus.status, "fail");
  EXPECT_EQ(plus.details.at("allQualifier"), "+");
  EXPECT_EQ(evaluate_spf({"v=spf1 ?all"}).findings[0].severity, Severity::Medium);
  EXPECT_EQ(evaluate_spf({"v=spf1 ~all"}).findings[0].severity, Severity::Low);
  CheckResult none = evaluate_spf({"v=spf1 mx"});
  EXPECT_EQ(ids(none), std::vector<std::string>{"spf.no_all"});
  EXPECT_EQ(none.details.at("allQualifier"), nullptr);
  EXPECT_EQ(ids(evaluate_spf({"v=spf1 redirect=_spf.example.com"})), std::vector<std::string>{});
}

TEST(Spf, MissingDuplicateAndOverlongRecordsAreFindings) {
  CheckResult missing = evaluate_spf({"site-verification=1", "v=DMARC1; p=none"});
  EXPECT_EQ(ids(missing), std::vector<std::string>{"spf.missing"});
  EXPECT_EQ(missing.findings[0].severity, Severity::High);
  EXPECT_EQ(missing.details.at("present"), false);
  EXPECT_EQ(ids(evaluate_spf({})), std::vector<std::string>{"spf.missing"});
  CheckResult twice = evaluate_spf({"v=spf1 -all", "v=spf1 mx -all"});
  EXPECT_EQ(ids(twice), std::vector<std::string>{"spf.multiple"});
  EXPECT_EQ(twice.findings[0].message, "there are 2 SPF records; receivers treat that as a permanent error (RFC 7208 4.5)");
  std::string many = "v=spf1";
  for (int i = 0; i < 11; ++i) many += " include:s" + std::to_string(i) + ".example.com";
  CheckResult overlong = evaluate_spf({many + " -all"});
  EXPECT_EQ(ids(overlong), std::vector<std::string>{"spf.too_many_lookups"});
  EXPECT_EQ(overlong.details.at("lookupCount"), 11);
}

TEST(Dmarc, ParsesTagsLenientlyAndPolicyStrictly) {
  EXPECT_TRUE(is_dmarc("v=DMARC1; p=none"));
  EXPECT_TRUE(is_dmarc("v = dmarc1 ;p=reject"));
  EXPECT_FALSE(is_dmarc("p=reject; v=DMARC1"));  // the version must come first
  EXPECT_FALSE(is_dmarc("v=spf1 -all"));

  DmarcRecord d = parse_dmarc(
      "v=DMARC1; P=Quarantine ; sp=reject; pct=50; rua=mailto:a@example.com, mailto:b@example.com; "
      "ruf=mailto:f@example.com; adkim=s; fo=1;");
  EXPECT_EQ(d.policy, "quarantine");
  EXPECT_EQ(d.subdomain_policy, "reject");
  EXPECT_EQ(d.pct, 50);
  EXPECT_EQ(d.rua, (std::vector<std::string>{"mailto:a@example.com", "mailto:b@example.com"}));
  EXPECT_EQ(d.ruf, (std::vector<std::string>{"mailto:f@example.com"}));
  EXPECT_EQ(d.adkim, "s");
  EXPECT_EQ(d.aspf, "r");
  EXPECT_TRUE(d.problems.empty());

  DmarcRecord bad = parse_dmarc("v=DMARC1; p=block; pct=150; adkim=x; junk");
  EXPECT_EQ(bad.policy, "");
  EXPECT_EQ(bad.problems, (std::vector<std::string>{"p=block is not none, quarantine or reject",
                                                    "pct=150 is not a percentage from 0 to 100", "adkim=x is not r or s",
                                                    "'junk' is not a tag=value pair"}));
  EXPECT_EQ(parse_dmarc("v=DMARC1; rua=mailto:a@example.com").problems,
            std::vector<std::string>{"the required p= tag is missing"});
}

TEST(Dmarc, PolicyAndReportingDecideTheSeverity) {
  CheckResult reject = evaluate_dmarc({"v=DMARC1; p=reject; rua=mailto:d@example.com"});
  EXPECT_EQ(ids(reject), std::vector<std::string>{});
  EXPECT_EQ(reject.status, "pass");
  CheckResult none = evaluate_dmarc({"v=DMARC1; p=none; rua=mailto:d@example.com"});
  EXPECT_EQ(ids(none), std::vector<std::string>{"dmarc.policy_none"});
  EXPECT_EQ(none.findings[0].severity, Severity::Medium);
  EXPECT_EQ(ids(evaluate_dmarc({"v=DMARC1; p=quarantine; pct=25; sp=none"})),
            (std::vector<std::string>{"dmarc.partial_pct", "dmarc.subdomains_none", "dmarc.no_reports"}));
  CheckResult invalid = evaluate_dmarc({"v=DMARC1; pct=x; p=maybe; rua=mailto:d@example.com"});
  EXPECT_EQ(ids(invalid), (std::vector<std::string>{"dmarc.invalid", "dmarc.invalid_tag"}));
  EXPECT_EQ(invalid.findings[0].severity, Severity::High);
  EXPECT_EQ(invalid.findings[0].message, "the DMARC record has no valid policy: p=maybe is not none, quarantine or reject");
  EXPECT_EQ(invalid.details.at("policy"), nullptr);
  CheckResult missing = evaluate_dmarc({"v=spf1 -all"});
  EXPECT_EQ(ids(missing), std::vector<std::string>{"dmarc.missing"});
  EXPECT_EQ(missing.findings[0].severity, Severity::High);
  EXPECT_EQ(ids(evaluate_dmarc({"v=DMARC1; p=reject", "v=DMARC1; p=none"})), std::vector<std::string>{"dmarc.multiple"});
}

TEST(CheckResultJson, CarriesEveryFindingWithItsCheckAndSeverity) {
  CheckResult r = evaluate_spf({"v=spf1 ?all"});
  json::object j = r.to_json();
  EXPECT_EQ(j.at("check"), "spf");
  EXPECT_EQ(j.at("status"), "fail");
  EXPECT_EQ(j.at("findings"), (json::array{json::object{
                                  {"check", "spf"},
                                  {"severity", "medium"},
                                  {"id", "spf.neutral_all"},
                                  {"message", "the SPF record ends in ?all (neutral): unlisted senders are not rejected"}}}));
}
