// The in-process store: idle buckets expire so memory follows the active callers, not history.
#include "ratelimit/memory_store.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace toolgate {
namespace {

using testing::FakeClock;
using testing::kSecond;
using testing::principal;

TEST(MemoryStore, HundredThousandIdlePrincipalsExpire) {
  FakeClock clock;
  RateLimitConfig c;
  c.idle_expiry_seconds = 10;
  auto store = std::make_shared<MemoryStore>(c.idle_expiry_seconds);
  RateLimiter rl(c, clock.fn(), store);
  const RateLimit limit{5, 1.0};
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(rl.check(principal("user" + std::to_string(i)), "dns_lookup", limit).allowed);
  }
  EXPECT_EQ(store->size(), 100000u);

  clock.advance_seconds(5);  // full again, but not idle for long enough
  ASSERT_TRUE(rl.check(principal("late"), "dns_lookup", limit).allowed);
  EXPECT_EQ(store->size(), 100001u);

  clock.advance_seconds(6);  // 11 s since the crowd's last call
  ASSERT_TRUE(rl.check(principal("fresh"), "dns_lookup", limit).allowed);
  EXPECT_EQ(store->size(), 2u) << "only the two recent callers keep a bucket";
}

TEST(MemoryStore, BucketNotYetFullIsKept) {
  FakeClock clock;
  MemoryStore store(10);
  ASSERT_TRUE(store.take("slow", RateLimit{1, 0.01}, clock.now()).allowed);  // refills in 100 s
  ASSERT_TRUE(store.take("quick", RateLimit{1, 1.0}, clock.now()).allowed);
  clock.advance_seconds(20);
  EXPECT_EQ(store.sweep(clock.now()), 1u);
  EXPECT_EQ(store.size(), 1u);
  // Dropping the slow bucket early would have handed back a token it has not earned yet.
  EXPECT_FALSE(store.take("slow", RateLimit{1, 0.01}, clock.now()).allowed);
  clock.advance_seconds(200);
  EXPECT_EQ(store.sweep(clock.now()), 1u);
  EXPECT_EQ(store.size(), 0u);
}

TEST(MemoryStore, ConcurrentTakersNeverOverspend) {
  FakeClock clock;
  MemoryStore store(600, 4);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  const BucketRequest requests[] = {{"tool/acme/alice/t", RateLimit{300, 0.001}},
                                    {"tenant/acme", RateLimit{1000, 0.001}}};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) allowed += store.take(requests, clock.now()).allowed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 300);
}

}  // namespace
}  // namespace toolgate
