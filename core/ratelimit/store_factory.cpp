#include "ratelimit/store_factory.hpp"

#include "ratelimit/host_store.hpp"
#include "ratelimit/memory_store.hpp"
#include "ratelimit/redis_store.hpp"

namespace toolgate {

std::shared_ptr<BucketStore> make_bucket_store(const RateLimitConfig& config) {
  switch (config.store_kind) {
    case StoreKind::host: {
      HostStoreOptions o;
      o.path = config.host_store_path;
      o.slots = config.host_store_slots;
      o.idle_expiry_seconds = config.idle_expiry_seconds;
      o.lock_timeout_ms = config.store_timeout_ms;
      return std::make_shared<HostStore>(o);
    }
    case StoreKind::redis: {
      RedisStoreOptions o;
      o.host = config.redis_host;
      o.port = config.redis_port;
      o.timeout_ms = config.store_timeout_ms;
      o.idle_expiry_seconds = config.idle_expiry_seconds;
      return std::make_shared<RedisStore>(o);
    }
    case StoreKind::memory:
      break;
  }
  return std::make_shared<MemoryStore>(config.idle_expiry_seconds);
}

}  // namespace toolgate
