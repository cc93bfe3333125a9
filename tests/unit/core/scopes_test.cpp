// Scope matching (core/policy/scopes.hpp): exact grants, "*", trailing "area.*" wildcards,
// per-segment "*.read" wildcards, and the rule that an empty required scope is never granted.
#include "policy/scopes.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

TEST(ScopeMatches, ExactGrantMatchesOnlyItself) {
  EXPECT_TRUE(scope_matches("dns.read", "dns.read"));
  EXPECT_FALSE(scope_matches("dns.read", "dns.write"));
  EXPECT_FALSE(scope_matches("dns.read", "dns.read.all"));
  EXPECT_FALSE(scope_matches("dns.read", "dns"));
  EXPECT_FALSE(scope_matches("dns", "dns.read"));
  EXPECT_FALSE(scope_matches("DNS.read", "dns.read"));  // case-sensitive
}

TEST(ScopeMatches, StarGrantCoversEveryNonEmptyScope) {
  EXPECT_TRUE(scope_matches("*", "dns.read"));
  EXPECT_TRUE(scope_matches("*", "dns.zone.write"));
  EXPECT_TRUE(scope_matches("*", "admin"));
  EXPECT_FALSE(scope_matches("*", ""));
}

TEST(ScopeMatches, TrailingWildcardCoversEveryScopeUnderTheArea) {
  EXPECT_TRUE(scope_matches("dns.*", "dns.read"));
  EXPECT_TRUE(scope_matches("dns.*", "dns.write"));
  EXPECT_TRUE(scope_matches("dns.*", "dns.zone.write"));  // any depth below dns
  EXPECT_FALSE(scope_matches("dns.*", "dns"));            // the area itself is not under it
  EXPECT_FALSE(scope_matches("dns.*", "dnsx.read"));      // segment match, not prefix match
  EXPECT_FALSE(scope_matches("dns.*", "mail.read"));
  EXPECT_FALSE(scope_matches("dns.*", "x.dns.read"));
}

TEST(ScopeMatches, DeeperTrailingWildcardRequiresItsPrefixSegments) {
  EXPECT_TRUE(scope_matches("dns.zone.*", "dns.zone.write"));
  EXPECT_TRUE(scope_matches("dns.zone.*", "dns.zone.record.delete"));
  EXPECT_FALSE(scope_matches("dns.zone.*", "dns.read"));
  EXPECT_FALSE(scope_matches("dns.zone.*", "dns.zone"));
}

TEST(ScopeMatches, LeadingWildcardMatchesOneSegmentOnly) {
  EXPECT_TRUE(scope_matches("*.read", "dns.read"));
  EXPECT_TRUE(scope_matches("*.read", "mail.read"));
  EXPECT_FALSE(scope_matches("*.read", "dns.write"));
  // A non-trailing "*" stands for exactly one segment: "*.read" does not reach "a.b.read".
  EXPECT_FALSE(scope_matches("*.read", "a.b.read"));
  EXPECT_FALSE(scope_matches("*.read", "read"));
  EXPECT_FALSE(scope_matches("*.read", "dns.read.all"));
}

TEST(ScopeMatches, MiddleWildcardMatchesOneSegment) {
  EXPECT_TRUE(scope_matches("dns.*.write", "dns.zone.write"));
  EXPECT_FALSE(scope_matches("dns.*.write", "dns.zone.read"));
  EXPECT_FALSE(scope_matches("dns.*.write", "dns.write"));
  EXPECT_FALSE(scope_matches("dns.*.write", "dns.a.b.write"));
}

TEST(ScopeMatches, BothWildcardsTogether) {
  // "*.*" ends in "*", so it covers every scope with at least two segments.
  EXPECT_TRUE(scope_matches("*.*", "dns.read"));
  EXPECT_TRUE(scope_matches("*.*", "dns.zone.write"));
  EXPECT_FALSE(scope_matches("*.*", "dns"));
}

TEST(ScopeMatches, EmptyRequiredIsNeverGranted) {
  EXPECT_FALSE(scope_matches("*", ""));
  EXPECT_FALSE(scope_matches("", ""));
  EXPECT_FALSE(scope_matches("dns.*", ""));
}

TEST(ScopeMatches, EmptyGrantGrantsNothing) {
  EXPECT_FALSE(scope_matches("", "dns.read"));
  EXPECT_FALSE(scope_matches("", "x"));
}

TEST(ScopeMatches, WildcardIsOnlyAWholeSegment) {
  // "dns*" is a literal segment, not a prefix pattern.
  EXPECT_FALSE(scope_matches("dns*", "dns.read"));
  EXPECT_FALSE(scope_matches("dns*", "dnsx"));
  EXPECT_TRUE(scope_matches("dns*", "dns*"));
}

TEST(ScopeGranted, NoGrantsGrantsNothing) {
  EXPECT_FALSE(scope_granted({}, "dns.read"));
  EXPECT_FALSE(scope_granted({}, ""));
}

TEST(ScopeGranted, AnyMatchingGrantIsEnough) {
  std::vector<std::string> grants = {"mail.read", "dns.*", "*.list"};
  EXPECT_TRUE(scope_granted(grants, "mail.read"));
  EXPECT_TRUE(scope_granted(grants, "dns.zone.write"));
  EXPECT_TRUE(scope_granted(grants, "users.list"));
  EXPECT_FALSE(scope_granted(grants, "mail.write"));
  EXPECT_FALSE(scope_granted(grants, "users.read"));
  EXPECT_FALSE(scope_granted(grants, ""));
}

TEST(ScopeGranted, EmptyRequiredNotGrantedEvenWithStar) {
  EXPECT_FALSE(scope_granted({"*", "", "dns.*"}, ""));
}

TEST(ScopeGranted, EmptyEntryAmongGrantsIsIgnored) {
  EXPECT_FALSE(scope_granted({""}, "dns.read"));
  EXPECT_TRUE(scope_granted({"", "dns.read"}, "dns.read"));
}

}  // namespace
}  // namespace toolgate
