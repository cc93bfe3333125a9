// Token-bucket arithmetic, and nothing else: no I/O, no clock reads, no locking. Every store
// (memory, host, redis's Lua script mirrors it) keeps a BucketState per key and runs these
// functions on it under whatever exclusion that store provides, so the rules live in one place
// and are tested with plain numbers.
//
// A bucket holds up to `burst` tokens and regains `perSecond` tokens per second of elapsed time;
// a call costs one token. Time is an int64 count of nanoseconds on a monotonic clock chosen by the
// caller. A timestamp older than the bucket's last refill (another process read the clock a moment
// earlier) counts as no elapsed time, never as negative time.
// Value types and pure functions: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace toolgate {

// A bucket's parameters; also the value type of every limit in the policy and the manifest.
// Valid when burst >= 1 and perSecond > 0 (limits.cpp enforces it when reading JSON).
struct RateLimit {
  std::int64_t burst = 1;
  double perSecond = 1.0;

  bool operator==(const RateLimit&) const = default;
};

struct BucketState {
  double tokens = 0;               // may be fractional; never negative, never above burst
  std::int64_t last_refill_ns = 0;  // monotonic ns of the last update
};

struct BucketOutcome {
  bool allowed = false;
  std::int64_t retry_after_seconds = 0;  // 0 when allowed, otherwise >= 1
  std::int64_t remaining = 0;             // whole tokens left after this call
  std::size_t refused_index = 0;          // take_all: the first bucket that refused
};

// A new bucket is full.
BucketState full_bucket(const RateLimit& limit, std::int64_t now_ns);

// The state after adding the tokens earned since last_refill_ns (capped at burst).
BucketState refilled(const BucketState& state, const RateLimit& limit, std::int64_t now_ns);

// Whole seconds until `tokens` grows to `cost`: ceil(deficit / perSecond), at least 1.
std::int64_t retry_after_seconds(double tokens, const RateLimit& limit, double cost = 1.0);

// Refills, then takes `cost` tokens if there are enough. A refusal leaves `state` untouched.
BucketOutcome take(BucketState& state, const RateLimit& limit, std::int64_t now_ns, double cost = 1.0);

// All-or-nothing over several buckets (per-tool and per-tenant): one token from each, or none
// from any. When refused, refused_index names the first refusing bucket in order and
// retry_after_seconds is the longest wait among the refusing ones (the earliest moment the whole
// call could pass). When allowed, remaining is the smallest remaining count.
BucketOutcome take_all(std::span<BucketState* const> states, std::span<const RateLimit> limits,
                       std::int64_t now_ns);

// True when the bucket is full again and untouched for at least idle_ns: dropping it then is
// indistinguishable from keeping it, which is what lets stores expire idle buckets.
bool is_idle(const BucketState& state, const RateLimit& limit, std::int64_t now_ns, std::int64_t idle_ns);

}  // namespace toolgate
