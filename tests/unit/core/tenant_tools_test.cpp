// Per-tenant tool allow/deny lists (core/policy/tenant_tools.hpp): glob matching, deny winning
// over allow, the "*" fallback, the refusal text naming the rule, and strict parsing with paths.
#include "policy/tenant_tools.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

namespace json = boost::json;

TenantTools parse(const std::string& text, JsonErrors& errors) {
  json::object root = json::parse(text).as_object();
  JsonObjectReader r(&root, "$", errors);
  TenantTools t = parse_tenant_tools(r);
  return t;
}

TenantTools parse_ok(const std::string& text) {
  JsonErrors errors;
  TenantTools t = parse(text, errors);
  EXPECT_TRUE(errors.empty()) << errors.joined();
  return t;
}

std::vector<std::string> errors_of(const std::string& text) {
  JsonErrors errors;
  parse(text, errors);
  return errors.items();
}

TEST(ToolGlob, MatchesWholeNames) {
  EXPECT_TRUE(tool_glob_match("dns_*", "dns_lookup"));
  EXPECT_TRUE(tool_glob_match("dns_*", "dns_"));
  EXPECT_FALSE(tool_glob_match("dns_*", "xdns_lookup"));
  EXPECT_TRUE(tool_glob_match("*_url", "delete_short_url"));
  EXPECT_FALSE(tool_glob_match("*_url", "delete_short_urls"));
  EXPECT_TRUE(tool_glob_match("echo", "echo"));
  EXPECT_FALSE(tool_glob_match("echo", "echo2"));
  EXPECT_TRUE(tool_glob_match("ech?", "echo"));
  EXPECT_FALSE(tool_glob_match("ech?", "ech"));
  EXPECT_TRUE(tool_glob_match("*", ""));
  EXPECT_TRUE(tool_glob_match("a*b*c", "aXXbYYbc"));
  EXPECT_FALSE(tool_glob_match("a*b*c", "aXXbYYbd"));
}

TEST(TenantTools, NoRulesAllowEverything) {
  TenantTools t = parse_ok("{}");
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.refusal("acme", "anything"), "");
}

TEST(TenantTools, AllowListLimitsTheTenantOnly) {
  TenantTools t = parse_ok(R"({"tenants": {"acme": {"allowTools": ["dns_*", "echo"]}}})");
  EXPECT_EQ(t.refusal("acme", "dns_lookup"), "");
  EXPECT_EQ(t.refusal("acme", "echo"), "");
  EXPECT_EQ(t.refusal("acme", "delete_short_url"),
            "tool delete_short_url is forbidden for tenant 'acme' by the policy (not in tenants.acme.allowTools)");
  EXPECT_EQ(t.refusal("other", "delete_short_url"), "");
}

TEST(TenantTools, DenyWinsOverAllow) {
  TenantTools t = parse_ok(R"({"tenants": {"acme": {"allowTools": ["*"], "denyTools": ["delete_*"]}}})");
  EXPECT_EQ(t.refusal("acme", "create_short_url"), "");
  EXPECT_EQ(t.refusal("acme", "delete_short_url"),
            "tool delete_short_url is forbidden for tenant 'acme' by the policy (tenants.acme.denyTools: \"delete_*\")");
}

TEST(TenantTools, EmptyAllowListAllowsNothing) {
  TenantTools t = parse_ok(R"({"tenants": {"locked": {"allowTools": []}}})");
  EXPECT_NE(t.refusal("locked", "echo"), "");
}

TEST(TenantTools, StarAllowIsAFallbackButStarDenyBindsEveryTenant) {
  TenantTools t = parse_ok(R"({"tenants": {"*": {"allowTools": ["echo", "dns_*"], "denyTools": ["shell_exec"]},
                                           "acme": {"allowTools": ["whoami", "shell_exec"]}}})");
  EXPECT_EQ(t.refusal("other", "echo"), "");
  EXPECT_EQ(t.refusal("other", "whoami"),
            "tool whoami is forbidden for tenant 'other' by the policy (not in tenants.*.allowTools)");
  EXPECT_EQ(t.refusal("acme", "whoami"), "");  // its own allow list replaces the fallback's
  EXPECT_EQ(t.refusal("acme", "echo"), "tool echo is forbidden for tenant 'acme' by the policy (not in tenants.acme.allowTools)");
  // A global ban is global: a tenant's own entry cannot lift it.
  EXPECT_EQ(t.refusal("acme", "shell_exec"),
            "tool shell_exec is forbidden for tenant 'acme' by the policy (tenants.*.denyTools: \"shell_exec\")");
  EXPECT_EQ(t.refusal("other", "shell_exec"),
            "tool shell_exec is forbidden for tenant 'other' by the policy (tenants.*.denyTools: \"shell_exec\")");
}

TEST(TenantTools, ParseErrorsNameThePath) {
  EXPECT_EQ(errors_of(R"({"tenants": []})"), (std::vector<std::string>{"$.tenants: expected an object of tenant names"}));
  EXPECT_EQ(errors_of(R"({"tenants": {"acme": 3}})"), (std::vector<std::string>{"$.tenants.acme: expected an object"}));
  EXPECT_EQ(errors_of(R"({"tenants": {"acme": {"allow": ["x"]}}})"),
            (std::vector<std::string>{"$.tenants.acme.allow: unknown field"}));
  EXPECT_EQ(errors_of(R"({"tenants": {"acme": {"denyTools": "x"}}})"),
            (std::vector<std::string>{"$.tenants.acme.denyTools: expected an array of strings"}));
  EXPECT_EQ(errors_of(R"({"tenants": {"acme": {"denyTools": [""]}}})"),
            (std::vector<std::string>{"$.tenants.acme.denyTools[0]: expected a tool name or glob, got \"\""}));
}

}  // namespace
}  // namespace toolgate
