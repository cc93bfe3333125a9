// Reading the policy's rateLimits section: defaults, every field, and each error naming its path.
#include "ratelimit/limits.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

namespace toolgate {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  std::optional<RateLimitConfig> config;
  std::string errors;
};

Parsed parse(const std::string& text) {
  JsonErrors errors;
  Parsed p;
  auto v = parse_json_text(text, "test", errors);
  if (v) p.config = parse_rate_limit_config(*v, errors);
  p.errors = errors.joined();
  return p;
}

TEST(RateLimitConfig, AbsentFieldsTakeDefaults) {
  Parsed p = parse("{}");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_EQ(p.config->store, "memory");
  EXPECT_EQ(p.config->store_kind, StoreKind::memory);
  EXPECT_FALSE(p.config->fail_open);
  EXPECT_TRUE(p.config->per_tool.empty());
  EXPECT_FALSE(p.config->per_tenant);
  EXPECT_TRUE(p.config->tenants.empty());
  EXPECT_FALSE(p.config->max_in_flight_per_principal);
  EXPECT_EQ(p.config->idle_expiry_seconds, 600);
  EXPECT_EQ(p.config->host_store_path, "/dev/shm/toolgate-ratelimit-" + std::to_string(::geteuid()));
  EXPECT_EQ(p.config->store_timeout_ms, 200);
}

TEST(RateLimitConfig, ReadsEveryField) {
  Parsed p = parse(R"({
    "store": "redis://10.0.0.5:6380", "onStoreError": "open",
    "perTool": {"dns_lookup": {"burst": 5, "perSecond": 1}, "dns.bulk": {"burst": 1, "perSecond": 0.5}},
    "perTenant": {"burst": 100, "perSecond": 10},
    "tenants": {"acme": {"burst": 1000, "perSecond": 50}},
    "maxInFlightPerPrincipal": 4, "idleExpirySeconds": 120,
    "hostStorePath": "/run/user/1000/tg-rl", "hostStoreSlots": 4096, "storeTimeoutMs": 150})");
  ASSERT_TRUE(p.config) << p.errors;
  const RateLimitConfig& c = *p.config;
  EXPECT_EQ(c.store_kind, StoreKind::redis);
  EXPECT_EQ(c.redis_host, "10.0.0.5");
  EXPECT_EQ(c.redis_port, 6380);
  EXPECT_TRUE(c.fail_open);
  EXPECT_EQ(c.per_tool.at("dns_lookup"), (RateLimit{5, 1.0}));
  EXPECT_EQ(c.per_tool.at("dns.bulk"), (RateLimit{1, 0.5}));
  EXPECT_EQ(c.per_tenant, (RateLimit{100, 10.0}));
  EXPECT_EQ(c.tenants.at("acme"), (RateLimit{1000, 50.0}));
  EXPECT_EQ(c.max_in_flight_per_principal, 4);
  EXPECT_EQ(c.idle_expiry_seconds, 120);
  EXPECT_EQ(c.host_store_path, "/run/user/1000/tg-rl");
  EXPECT_EQ(c.host_store_slots, 4096);
  EXPECT_EQ(c.store_timeout_ms, 150);
}

TEST(RateLimitConfig, SameStoreComparesOnlyWhatTheStoreIsBuiltFrom) {
  // A reload keeps the buckets unless the store itself changes; onStoreError is the limiter's.
  auto config = [](const std::string& text) { return *parse(text).config; };
  RateLimitConfig memory = config("{}");
  EXPECT_TRUE(same_store(memory, config(R"({"onStoreError": "open"})")));
  EXPECT_TRUE(same_store(memory, config(R"({"hostStorePath": "/tmp/other", "storeTimeoutMs": 999})")));
  EXPECT_FALSE(same_store(memory, config(R"({"idleExpirySeconds": 601})")));
  EXPECT_FALSE(same_store(memory, config(R"({"store": "host"})")));
  RateLimitConfig host = config(R"({"store": "host", "hostStorePath": "/tmp/a"})");
  EXPECT_TRUE(same_store(host, config(R"({"store": "host", "hostStorePath": "/tmp/a", "onStoreError": "open"})")));
  EXPECT_FALSE(same_store(host, config(R"({"store": "host", "hostStorePath": "/tmp/b"})")));
  EXPECT_FALSE(same_store(host, config(R"({"store": "host", "hostStorePath": "/tmp/a", "hostStoreSlots": 64})")));
  RateLimitConfig redis = config(R"({"store": "redis://127.0.0.1:7000"})");
  EXPECT_TRUE(same_store(redis, config(R"({"store": "redis://127.0.0.1:7000", "hostStorePath": "/tmp/x"})")));
  EXPECT_FALSE(same_store(redis, config(R"({"store": "redis://127.0.0.1:7000", "storeTimeoutMs": 50})")));
  EXPECT_FALSE(same_store(redis, config(R"({"store": "redis://127.0.0.1:7001"})")));
}

TEST(RateLimitConfig, StoreKinds) {
  EXPECT_EQ(parse(R"({"store": "host"})").config->store_kind, StoreKind::host);
  Parsed r = parse(R"({"store": "redis://cache.internal"})");
  ASSERT_TRUE(r.config) << r.errors;
  EXPECT_EQ(r.config->redis_host, "cache.internal");
  EXPECT_EQ(r.config->redis_port, 6379);
  Parsed v6 = parse(R"({"store": "redis://[::1]:7000"})");
  ASSERT_TRUE(v6.config) << v6.errors;
  EXPECT_EQ(v6.config->redis_host, "::1");
  EXPECT_EQ(v6.config->redis_port, 7000);
}

struct BadCase {
  const char* json;
  const char* error;
};

class RateLimitConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(RateLimitConfigErrors, NameThePath) {
  Parsed p = parse(GetParam().json);
  EXPECT_FALSE(p.config);
  EXPECT_THAT(p.errors, HasSubstr(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    Each, RateLimitConfigErrors,
    ::testing::Values(
        BadCase{R"({"perTenant": {"burst": 0, "perSecond": 1}})", "$.rateLimits.perTenant.burst: expected an integer >= 1"},
        BadCase{R"({"perTenant": {"burst": 2.5, "perSecond": 1}})", "$.rateLimits.perTenant.burst: expected an integer >= 1"},
        BadCase{R"({"perTenant": {"perSecond": 1}})", "$.rateLimits.perTenant.burst: is required"},
        BadCase{R"({"perTenant": {"burst": 1}})", "$.rateLimits.perTenant.perSecond: is required"},
        BadCase{R"({"perTenant": 5})", "$.rateLimits.perTenant: expected an object"},
        BadCase{R"({"perTool": {"dns_lookup": {"burst": 5, "perSecond": 0}}})",
                "$.rateLimits.perTool.dns_lookup.perSecond: expected a number > 0"},
        BadCase{R"({"perTool": {"dns.lookup": {"burst": 5, "perSecond": -1}}})",
                "$.rateLimits.perTool[\"dns.lookup\"].perSecond: expected a number > 0"},
        BadCase{R"({"perTool": {"dns_lookup": {"burst": 5, "perSecond": "1"}}})",
                "$.rateLimits.perTool.dns_lookup.perSecond: expected a number"},
        BadCase{R"({"perTool": {"dns_lookup": {"burst": 5, "perSecond": 1, "rate": 2}}})",
                "$.rateLimits.perTool.dns_lookup.rate: unknown field"},
        BadCase{R"({"perTool": {"dns_lookup": 5}})", "$.rateLimits.perTool.dns_lookup: expected an object"},
        BadCase{R"({"perTool": []})", "$.rateLimits.perTool: expected an object"},
        BadCase{R"({"tenants": {"acme": {"perSecond": 1}}})", "$.rateLimits.tenants.acme.burst: is required"},
        BadCase{R"({"store": "mongodb://db"})",
                "$.rateLimits.store: expected \"memory\", \"host\" or \"redis://host:port\", got \"mongodb://db\""},
        BadCase{R"({"store": "redis://cache:99999"})", "$.rateLimits.store: expected"},
        BadCase{R"({"store": "redis://"})", "$.rateLimits.store: expected"},
        BadCase{R"({"store": 7})", "$.rateLimits.store: expected a string"},
        BadCase{R"({"onStoreError": "maybe"})", "$.rateLimits.onStoreError: expected \"closed\" or \"open\", got \"maybe\""},
        BadCase{R"({"maxInFlightPerPrincipal": 0})", "$.rateLimits.maxInFlightPerPrincipal: expected an integer >= 1"},
        BadCase{R"({"idleExpirySeconds": 0})", "$.rateLimits.idleExpirySeconds: expected an integer from 1"},
        BadCase{R"({"hostStorePath": "relative/file"})", "$.rateLimits.hostStorePath: expected an absolute path"},
        BadCase{R"({"hostStoreSlots": 10})", "$.rateLimits.hostStoreSlots: expected an integer from 64"},
        BadCase{R"({"bogus": true})", "$.rateLimits.bogus: unknown field"}));

TEST(RateLimitConfig, ReportsEveryErrorAtOnce) {
  Parsed p = parse(R"({"perTenant": {"burst": 0, "perSecond": 0}, "onStoreError": "x", "extra": 1})");
  EXPECT_THAT(p.errors, HasSubstr("$.rateLimits.perTenant.burst"));
  EXPECT_THAT(p.errors, HasSubstr("$.rateLimits.perTenant.perSecond"));
  EXPECT_THAT(p.errors, HasSubstr("$.rateLimits.onStoreError"));
  EXPECT_THAT(p.errors, HasSubstr("$.rateLimits.extra: unknown field"));
}

TEST(RateLimitConfig, NotAnObject) {
  Parsed p = parse("[1]");
  EXPECT_FALSE(p.config);
  EXPECT_EQ(p.errors, "$.rateLimits: expected an object");
}

TEST(RateLimitConfig, ReadRateLimitServesManifestsToo) {
  JsonErrors errors;
  auto v = parse_json_text(R"({"burst": 10, "perSecond": 2.5})", "manifest", errors);
  ASSERT_TRUE(v);
  JsonObjectReader r(&v->get_object(), "$.tools[0].rateLimit", errors);
  EXPECT_EQ(read_rate_limit(r), (RateLimit{10, 2.5}));
  EXPECT_TRUE(errors.empty()) << errors.joined();
}

TEST(RateLimitConfig, Describe) {
  EXPECT_EQ(describe(RateLimit{5, 1.0}), "burst 5, 1/s");
  EXPECT_EQ(describe(RateLimit{10, 0.5}), "burst 10, 0.5/s");
}

}  // namespace
}  // namespace toolgate
