// Token-bucket arithmetic with plain numbers: burst, refill, retryAfter, all-or-nothing takes.
#include "ratelimit/bucket.hpp"

#include <gtest/gtest.h>

namespace toolgate {
namespace {

constexpr std::int64_t kSec = 1'000'000'000LL;
constexpr std::int64_t kT0 = 1000 * kSec;

TEST(Bucket, BurstThenRefusal) {
  RateLimit limit{5, 1.0};
  BucketState s = full_bucket(limit, kT0);
  for (int i = 0; i < 5; ++i) {
    BucketOutcome o = take(s, limit, kT0);
    EXPECT_TRUE(o.allowed) << "call " << i;
    EXPECT_EQ(o.remaining, 4 - i);
    EXPECT_EQ(o.retry_after_seconds, 0);
  }
  BucketOutcome refused = take(s, limit, kT0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
}

TEST(Bucket, RefillsWithElapsedTimeAndCapsAtBurst) {
  RateLimit limit{3, 2.0};  // one token every 500 ms
  BucketState s = full_bucket(limit, kT0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(take(s, limit, kT0).allowed);
  EXPECT_FALSE(take(s, limit, kT0 + kSec / 4).allowed);
  EXPECT_TRUE(take(s, limit, kT0 + kSec / 2).allowed);
  EXPECT_FALSE(take(s, limit, kT0 + kSec / 2).allowed);
  // A long pause refills to burst, never beyond it.
  const std::int64_t later = kT0 + 3600 * kSec;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(take(s, limit, later).allowed) << i;
  EXPECT_FALSE(take(s, limit, later).allowed);
}

TEST(Bucket, RefusalLeavesStateUntouched) {
  RateLimit limit{1, 1.0};
  BucketState s = full_bucket(limit, kT0);
  ASSERT_TRUE(take(s, limit, kT0).allowed);
  const BucketState before = s;
  EXPECT_FALSE(take(s, limit, kT0 + kSec / 2).allowed);
  EXPECT_EQ(s.tokens, before.tokens);
  EXPECT_EQ(s.last_refill_ns, before.last_refill_ns);
  EXPECT_TRUE(take(s, limit, kT0 + kSec).allowed);
}

TEST(Bucket, ClockBehindLastRefillCountsAsNoTime) {
  RateLimit limit{2, 1.0};
  BucketState s = full_bucket(limit, kT0);
  ASSERT_TRUE(take(s, limit, kT0).allowed);
  ASSERT_TRUE(take(s, limit, kT0).allowed);
  // Another process read the clock a moment earlier: no negative refill, no timestamp rewind.
  BucketOutcome o = take(s, limit, kT0 - 5 * kSec);
  EXPECT_FALSE(o.allowed);
  EXPECT_EQ(o.retry_after_seconds, 1);
  EXPECT_EQ(s.last_refill_ns, kT0);
}

TEST(Bucket, RetryAfterIsTheCeilingOfDeficitOverRate) {
  EXPECT_EQ(retry_after_seconds(0.0, RateLimit{1, 0.5}), 2);     // one token at 0.5/s
  EXPECT_EQ(retry_after_seconds(0.0, RateLimit{1, 0.3}), 4);     // 3.33 s -> 4
  EXPECT_EQ(retry_after_seconds(0.25, RateLimit{1, 0.5}), 2);    // 1.5 s -> 2
  EXPECT_EQ(retry_after_seconds(0.5, RateLimit{1, 0.5}), 1);     // exactly 1 s
  EXPECT_EQ(retry_after_seconds(0.9, RateLimit{1, 0.01}), 10);   // 0.1 / 0.01 in floating point
  EXPECT_EQ(retry_after_seconds(0.0, RateLimit{1, 1000.0}), 1);  // 1 ms -> never below 1
  EXPECT_EQ(retry_after_seconds(0.999999, RateLimit{1, 1.0}), 1);
  EXPECT_EQ(retry_after_seconds(0.0, RateLimit{1, 1.0 / 60}), 60);
}

TEST(Bucket, RetryAfterCountsDownAsTimePasses) {
  RateLimit limit{1, 0.5};
  BucketState s = full_bucket(limit, kT0);
  ASSERT_TRUE(take(s, limit, kT0).allowed);
  EXPECT_EQ(take(s, limit, kT0).retry_after_seconds, 2);
  EXPECT_EQ(take(s, limit, kT0 + kSec / 2).retry_after_seconds, 2);  // 0.75 token short -> 1.5 s
  EXPECT_EQ(take(s, limit, kT0 + kSec).retry_after_seconds, 1);
  EXPECT_EQ(take(s, limit, kT0 + 2 * kSec - kSec / 1000).retry_after_seconds, 1);
  EXPECT_TRUE(take(s, limit, kT0 + 2 * kSec).allowed);
}

TEST(Bucket, TakeAllIsAllOrNothing) {
  RateLimit tool{5, 1.0};
  RateLimit tenant{1, 0.25};
  BucketState a = full_bucket(tool, kT0);
  BucketState b = full_bucket(tenant, kT0);
  BucketState* states[] = {&a, &b};
  RateLimit limits[] = {tool, tenant};
  BucketOutcome first = take_all(states, limits, kT0);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 0);  // the smaller of 4 and 0
  BucketOutcome second = take_all(states, limits, kT0);
  EXPECT_FALSE(second.allowed);
  EXPECT_EQ(second.refused_index, 1u);
  EXPECT_EQ(second.retry_after_seconds, 4);
  EXPECT_DOUBLE_EQ(a.tokens, 4.0) << "the tool bucket paid for a call the tenant bucket refused";
}

TEST(Bucket, TakeAllNamesTheFirstRefusalAndTheLongestWait) {
  RateLimit tool{1, 1.0};
  RateLimit tenant{1, 0.1};
  BucketState a{0.0, kT0};
  BucketState b{0.0, kT0};
  BucketState* states[] = {&a, &b};
  RateLimit limits[] = {tool, tenant};
  BucketOutcome o = take_all(states, limits, kT0);
  EXPECT_FALSE(o.allowed);
  EXPECT_EQ(o.refused_index, 0u);
  EXPECT_EQ(o.retry_after_seconds, 10);
}

TEST(Bucket, IdleMeansFullAndUntouched) {
  RateLimit limit{2, 1.0};
  BucketState s = full_bucket(limit, kT0);
  ASSERT_TRUE(take(s, limit, kT0).allowed);
  EXPECT_FALSE(is_idle(s, limit, kT0 + 5 * kSec, 10 * kSec));   // full again, but touched recently
  EXPECT_TRUE(is_idle(s, limit, kT0 + 10 * kSec, 10 * kSec));
  RateLimit slow{2, 0.01};
  BucketState t = full_bucket(slow, kT0);
  ASSERT_TRUE(take(t, slow, kT0).allowed);
  EXPECT_FALSE(is_idle(t, slow, kT0 + 20 * kSec, 10 * kSec));   // untouched, not yet full
  EXPECT_TRUE(is_idle(t, slow, kT0 + 100 * kSec, 10 * kSec));
}

}  // namespace
}  // namespace toolgate
