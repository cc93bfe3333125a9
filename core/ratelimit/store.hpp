// Where token buckets live. The limiter asks a store to take one token from each of a few buckets
// (the caller's per-tool bucket and its tenant's bucket) all-or-nothing, so a refusal by one never
// spends a token from another. Implementations: MemoryStore (this process), HostStore (every
// process on the machine, through a shared mapped file), RedisStore (a fleet, through redis).
//
// A store that cannot answer (redis down, host table full, lock timeout) returns error=true with
// a reason; it never throws and never blocks much longer than its configured timeout. What an
// error means for the call (fail closed or open) is the limiter's decision, not the store's.
// Every implementation is thread-safe; a store outlives the limiters that share it.
#pragma once

#include "ratelimit/bucket.hpp"

#include <cstdint>
#include <span>
#include <string>

namespace toolgate {

struct BucketRequest {
  std::string key;  // opaque to the store; the limiter builds it (rate_limiter.hpp)
  RateLimit limit;
};

struct TakeResult {
  bool allowed = false;
  std::int64_t retry_after_seconds = 0;  // >= 1 when refused
  std::int64_t remaining = 0;             // allowed: the smallest remaining count
  std::size_t refused_index = 0;          // refused: first request (in order) that refused
  bool error = false;                     // the store could not answer; see message
  std::string message;

  static TakeResult failure(std::string why) {
    TakeResult r;
    r.error = true;
    r.message = std::move(why);
    return r;
  }
  static TakeResult from(const BucketOutcome& o) {
    TakeResult r;
    r.allowed = o.allowed;
    r.retry_after_seconds = o.retry_after_seconds;
    r.remaining = o.remaining;
    r.refused_index = o.refused_index;
    return r;
  }
};

class BucketStore {
 public:
  // Requests per take are few (the limiter sends one or two); implementations may cap them.
  static constexpr std::size_t kMaxRequests = 4;

  virtual ~BucketStore() = default;

  // One token from every bucket, or none. `now_ns` is the caller's monotonic clock; a store that
  // spans machines may use its own clock instead (see RedisStore).
  virtual TakeResult take(std::span<const BucketRequest> requests, std::int64_t now_ns) = 0;

  // How the store is named in messages: "memory", "host (/dev/shm/...)", "redis://h:p".
  virtual std::string name() const = 0;

  TakeResult take(const std::string& key, const RateLimit& limit, std::int64_t now_ns) {
    BucketRequest one{key, limit};
    return take(std::span<const BucketRequest>(&one, 1), now_ns);
  }
};

}  // namespace toolgate
