// The policy's `rateLimits` section as a value, and the strict JSON reading that produces it.
// Errors name the JSONPath ("$.rateLimits.perTenant.burst: expected an integer >= 1") and unknown
// fields are errors. read_rate_limit() is also the reader for a manifest's per-tool limit, so
// both files accept exactly the same {burst, perSecond} shape.
// Plain values; read once at startup (or reload) on one thread, then share read-only.
#pragma once

#include "ratelimit/bucket.hpp"
#include "util/json_reader.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace toolgate {

enum class StoreKind { memory, host, redis };

// "/dev/shm/toolgate-ratelimit-<uid>": per user, because the file is private to its owner and a
// second user finding the first one's file would otherwise fail closed.
std::string default_host_store_path();

struct RateLimitConfig {
  // "memory" | "host" | "redis://host:port", exactly as written (used in error messages).
  std::string store = "memory";
  StoreKind store_kind = StoreKind::memory;
  std::string redis_host;  // store_kind == redis
  int redis_port = 6379;
  bool fail_open = false;  // onStoreError: "closed" (default) | "open"

  std::map<std::string, RateLimit> per_tool;  // perTool: overrides the manifest's per-tool limit
  std::optional<RateLimit> per_tenant;        // perTenant: every tenant, across all tools
  std::map<std::string, RateLimit> tenants;   // tenants: per-tenant override of perTenant
  std::optional<std::int64_t> max_in_flight_per_principal;

  std::int64_t idle_expiry_seconds = 600;
  std::string host_store_path = default_host_store_path();
  std::int64_t host_store_slots = 16384;  // used when the host file is created
  std::int64_t store_timeout_ms = 200;    // redis connect/read timeout; host lock wait
};

// Whether two configs name the same bucket store with the same settings (then a reload may keep
// the store, and with it every bucket's state).
bool same_store(const RateLimitConfig& a, const RateLimitConfig& b);

// Reads {burst, perSecond} from `r` (both required) and calls r.finish().
std::optional<RateLimit> read_rate_limit(JsonObjectReader& r);

// Reads the `rateLimits` object (an absent reader yields the defaults) and calls r.finish().
// Check r.errors() afterwards; the returned value is only meaningful when no error was added.
RateLimitConfig read_rate_limit_config(JsonObjectReader& r);

// Convenience for callers holding the value: nullopt when any error was added to `errors`.
std::optional<RateLimitConfig> parse_rate_limit_config(const boost::json::value& v, JsonErrors& errors,
                                                       const std::string& path = "$.rateLimits");

// Prose for messages: "burst 5, 1/s", "burst 10, 0.5/s".
std::string describe(const RateLimit& limit);

}  // namespace toolgate
