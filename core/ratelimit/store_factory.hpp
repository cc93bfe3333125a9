// Builds the BucketStore a RateLimitConfig names: memory, host (the shared file) or redis.
// Construction never fails and never blocks on the network: a host file that cannot be opened, or
// a redis that is down, shows up as errors from take() (and the policy's onStoreError applies).
// Call once per process at startup; the store is shared by every limiter built from the config.
#pragma once

#include "ratelimit/limits.hpp"
#include "ratelimit/store.hpp"

#include <memory>

namespace toolgate {

std::shared_ptr<BucketStore> make_bucket_store(const RateLimitConfig& config);

}  // namespace toolgate
