// The limiter's decisions, run against the in-process and the host store alike: per-tool and
// per-principal isolation, the tenant bucket across tools, overrides, messages, store failures.
#include "ratelimit/host_store.hpp"
#include "ratelimit/memory_store.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

using testing::FakeClock;
using testing::kSecond;
using testing::principal;

enum class Store { memory, host };

class RateLimiterTest : public ::testing::TestWithParam<Store> {
 protected:
  // A limiter over a fresh store of the kind under test, on the shared fake clock.
  RateLimiter make(RateLimitConfig config) {
    std::shared_ptr<BucketStore> store;
    if (GetParam() == Store::memory) {
      store = std::make_shared<MemoryStore>(config.idle_expiry_seconds);
    } else {
      HostStoreOptions o;
      o.path = dir_.file("buckets-" + std::to_string(++files_));
      o.slots = 1024;
      auto host = std::make_shared<HostStore>(o);
      EXPECT_TRUE(host->ok()) << host->open_error();
      store = host;
    }
    return RateLimiter(std::move(config), clock_.fn(), store);
  }

  FakeClock clock_;
  testing::TempDir dir_;
  int files_ = 0;
};

RateLimitConfig with_tool(const std::string& tool, RateLimit limit) {
  RateLimitConfig c;
  c.per_tool[tool] = limit;
  return c;
}

TEST_P(RateLimiterTest, BurstThenRefusalWithMessage) {
  RateLimiter rl = make(RateLimitConfig{});
  const Principal alice = principal("alice@example.com");
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.check(alice, "dns_lookup", RateLimit{5, 1.0}).allowed) << i;
  Decision d = rl.check(alice, "dns_lookup", RateLimit{5, 1.0});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "tool");
  EXPECT_EQ(d.retry_after_seconds, 1);
  EXPECT_EQ(d.message, "rate limit exceeded for tool dns_lookup (burst 5, 1/s per principal); retry after 1 s");
}

TEST_P(RateLimiterTest, RefillAndRetryAfterFollowTheRate) {
  RateLimiter rl = make(RateLimitConfig{});
  const Principal alice = principal("alice");
  const RateLimit slow{2, 0.5};
  ASSERT_TRUE(rl.check(alice, "t", slow).allowed);
  ASSERT_TRUE(rl.check(alice, "t", slow).allowed);
  EXPECT_EQ(rl.check(alice, "t", slow).retry_after_seconds, 2);
  clock_.advance_seconds(1.5);
  Decision d = rl.check(alice, "t", slow);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 1);
  EXPECT_EQ(d.message, "rate limit exceeded for tool t (burst 2, 0.5/s per principal); retry after 1 s");
  clock_.advance_seconds(0.5);
  EXPECT_TRUE(rl.check(alice, "t", slow).allowed);
  EXPECT_FALSE(rl.check(alice, "t", slow).allowed);
}

TEST_P(RateLimiterTest, ToolsAreIsolated) {
  RateLimiter rl = make(RateLimitConfig{});
  const Principal alice = principal("alice");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(rl.check(alice, "a", RateLimit{3, 0.01}).allowed);
  EXPECT_FALSE(rl.check(alice, "a", RateLimit{3, 0.01}).allowed);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.check(alice, "b", RateLimit{3, 0.01}).allowed) << i;
}

TEST_P(RateLimiterTest, PrincipalsAreIsolated) {
  RateLimiter rl = make(RateLimitConfig{});
  const RateLimit limit{2, 0.01};
  const Principal alice = principal("alice", "acme");
  ASSERT_TRUE(rl.check(alice, "t", limit).allowed);
  ASSERT_TRUE(rl.check(alice, "t", limit).allowed);
  ASSERT_FALSE(rl.check(alice, "t", limit).allowed);
  EXPECT_TRUE(rl.check(principal("bob", "acme"), "t", limit).allowed);
  EXPECT_TRUE(rl.check(principal("alice", "globex"), "t", limit).allowed) << "same subject, other tenant";
  // Separators in names cannot make two principals share a bucket.
  EXPECT_NE(RateLimiter::tool_key(principal("a/b", "x"), "t"), RateLimiter::tool_key(principal("b", "x/a"), "t"));
}

TEST_P(RateLimiterTest, PolicyPerToolOverridesTheManifest) {
  RateLimiter rl = make(with_tool("dns_lookup", RateLimit{1, 0.1}));
  const Principal alice = principal("alice");
  ASSERT_TRUE(rl.check(alice, "dns_lookup", RateLimit{100, 100}).allowed);
  Decision d = rl.check(alice, "dns_lookup", RateLimit{100, 100});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 10);
  EXPECT_EQ(d.message, "rate limit exceeded for tool dns_lookup (burst 1, 0.1/s per principal); retry after 10 s");
}

TEST_P(RateLimiterTest, NoLimitNoBucket) {
  RateLimiter rl = make(RateLimitConfig{});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(rl.check(principal("alice"), "free", std::nullopt).allowed);
}

TEST_P(RateLimiterTest, TenantBucketSpansToolsAndPrincipals) {
  RateLimitConfig c;
  c.per_tenant = RateLimit{3, 1.0};
  RateLimiter rl = make(c);
  EXPECT_TRUE(rl.check(principal("alice"), "a", std::nullopt).allowed);
  EXPECT_TRUE(rl.check(principal("bob"), "b", std::nullopt).allowed);
  EXPECT_TRUE(rl.check(principal("carol"), "c", RateLimit{10, 1.0}).allowed);
  Decision d = rl.check(principal("dave"), "d", std::nullopt);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "tenant");
  EXPECT_EQ(d.message, "rate limit exceeded for tenant acme (burst 3, 1/s across all tools); retry after 1 s");
  EXPECT_TRUE(rl.check(principal("erin", "globex"), "a", std::nullopt).allowed) << "tenants are isolated";
}

TEST_P(RateLimiterTest, TenantOverride) {
  RateLimitConfig c;
  c.per_tenant = RateLimit{1, 0.01};
  c.tenants["acme"] = RateLimit{4, 0.01};
  RateLimiter rl = make(c);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(rl.check(principal("u" + std::to_string(i), "acme"), "t", std::nullopt).allowed);
  EXPECT_FALSE(rl.check(principal("u9", "acme"), "t", std::nullopt).allowed);
  EXPECT_TRUE(rl.check(principal("v", "globex"), "t", std::nullopt).allowed);
  EXPECT_FALSE(rl.check(principal("w", "globex"), "t", std::nullopt).allowed);
}

TEST_P(RateLimiterTest, TenantRefusalDoesNotSpendTheToolToken) {
  RateLimitConfig c;
  c.per_tenant = RateLimit{1, 1.0};
  RateLimiter rl = make(c);
  const Principal alice = principal("alice");
  const RateLimit tool{2, 0.001};
  ASSERT_TRUE(rl.check(alice, "t", tool).allowed);  // tool 1 left, tenant 0 left
  Decision d = rl.check(alice, "t", tool);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "tenant");
  clock_.advance_seconds(1);  // tenant refilled; the tool bucket still holds its second token
  EXPECT_TRUE(rl.check(alice, "t", tool).allowed);
  clock_.advance_seconds(1);
  Decision e = rl.check(alice, "t", tool);
  EXPECT_FALSE(e.allowed);
  EXPECT_EQ(e.limit, "tool");
}

TEST_P(RateLimiterTest, BothRefuseNamesToolAndWaitsForBoth) {
  RateLimitConfig c;
  c.per_tenant = RateLimit{1, 0.2};  // 5 s per token
  RateLimiter rl = make(c);
  const Principal alice = principal("alice");
  ASSERT_TRUE(rl.check(alice, "t", RateLimit{1, 1.0}).allowed);
  Decision d = rl.check(alice, "t", RateLimit{1, 1.0});
  EXPECT_EQ(d.limit, "tool");
  EXPECT_EQ(d.retry_after_seconds, 5);
}

TEST_P(RateLimiterTest, InFlightCap) {
  RateLimitConfig c;
  c.max_in_flight_per_principal = 2;
  RateLimiter rl = make(c);
  const Principal alice = principal("alice@example.com");
  InFlightGuard a = rl.acquire_inflight(alice);
  InFlightGuard b = rl.acquire_inflight(alice);
  ASSERT_TRUE(a && b);
  InFlightGuard refused = rl.acquire_inflight(alice);
  EXPECT_FALSE(refused);
  Decision d = RateLimiter::inflight_decision(refused);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "inflight");
  EXPECT_EQ(d.retry_after_seconds, 1);
  EXPECT_EQ(d.message,
            "too many calls in flight for alice@example.com in tenant acme (limit 2 at a time); retry once one of them has ended (a call past its "
            "timeout still counts until its plugin returns)");
  EXPECT_TRUE(rl.acquire_inflight(principal("bob"))) << "other principals are not affected";
  a.release();
  InFlightGuard again = rl.acquire_inflight(alice);
  EXPECT_TRUE(again);
  { InFlightGuard moved = std::move(again); }  // released once, by the moved-to guard
  EXPECT_TRUE(rl.acquire_inflight(alice));
  EXPECT_TRUE(RateLimiter::inflight_decision(b).allowed);
}

TEST_P(RateLimiterTest, NoInFlightCapByDefault) {
  RateLimiter rl = make(RateLimitConfig{});
  std::vector<InFlightGuard> guards;
  for (int i = 0; i < 100; ++i) guards.push_back(rl.acquire_inflight(principal("alice")));
  for (const auto& g : guards) EXPECT_TRUE(g);
}

INSTANTIATE_TEST_SUITE_P(Stores, RateLimiterTest, ::testing::Values(Store::memory, Store::host),
                         [](const auto& info) { return info.param == Store::memory ? "memory" : "host"; });

// A store that cannot answer, to exercise onStoreError without any real outage.
class BrokenStore final : public BucketStore {
 public:
  using BucketStore::take;
  TakeResult take(std::span<const BucketRequest>, std::int64_t) override {
    ++calls;
    return TakeResult::failure("connection refused");
  }
  std::string name() const override { return "redis://10.9.9.9:6379"; }
  int calls = 0;
};

TEST(RateLimiterStoreErrors, FailClosedByDefault) {
  auto store = std::make_shared<BrokenStore>();
  RateLimiter rl(RateLimitConfig{}, FakeClock().fn(), store);
  Decision d = rl.check(principal("alice"), "t", RateLimit{5, 1});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.limit, "store");
  EXPECT_EQ(d.retry_after_seconds, 1);
  EXPECT_EQ(d.message, "rate limit store redis://10.9.9.9:6379 unavailable (failing closed): connection refused");
}

TEST(RateLimiterStoreErrors, FailOpenWhenThePolicySaysSo) {
  RateLimitConfig c;
  c.fail_open = true;
  auto store = std::make_shared<BrokenStore>();
  RateLimiter rl(c, FakeClock().fn(), store);
  Decision d = rl.check(principal("alice"), "t", RateLimit{5, 1});
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.failed_open);
  EXPECT_EQ(d.message, "rate limit store redis://10.9.9.9:6379 unavailable (failing open): connection refused");
}

TEST(RateLimiterStoreErrors, NoBucketsMeansNoStoreCall) {
  auto store = std::make_shared<BrokenStore>();
  RateLimiter rl(RateLimitConfig{}, FakeClock().fn(), store);
  EXPECT_TRUE(rl.check(principal("alice"), "t", std::nullopt).allowed);
  EXPECT_EQ(store->calls, 0);
}

TEST(RateLimiterStoreErrors, UnopenableHostFileFailsClosed) {
  RateLimitConfig c;
  c.store = "host";
  c.store_kind = StoreKind::host;
  c.host_store_path = "/nonexistent-dir/toolgate-ratelimit";
  RateLimiter rl(c, FakeClock().fn());
  Decision d = rl.check(principal("alice"), "t", RateLimit{5, 1});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.message,
            "rate limit store host (/nonexistent-dir/toolgate-ratelimit) unavailable (failing closed): cannot open "
            "/nonexistent-dir/toolgate-ratelimit: No such file or directory");
}

TEST(RateLimiterClock, DefaultClockIsMonotonic) {
  const std::int64_t a = monotonic_now_ns();
  const std::int64_t b = monotonic_now_ns();
  EXPECT_GT(a, 0);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace toolgate
