// The rate-limit step of the tools/call pipeline: decides whether one principal may call one tool
// now, and caps the calls a principal has running at once.
//
// check() takes one token from each bucket that applies, in this order, all-or-nothing:
//   1. tool:   per (tenant, subject, tool); limit = policy perTool[tool], else the manifest's
//              limit for the tool, else no bucket;
//   2. tenant: per tenant across all tools; limit = policy tenants[tenant], else perTenant, else
//              no bucket.
// If any bucket refuses, no token is taken from any of them (a call refused by its tenant's
// bucket does not also drain the caller's tool bucket). The decision names the first refusing
// bucket in that order, and retryAfter is the longest wait among the refusing buckets, i.e. the
// earliest moment the call could pass. When the store cannot answer, onStoreError decides:
// closed (default) denies with limit "store"; open allows and sets failed_open with a message
// worth auditing.
//
// Time comes only from the injected clock (CLOCK_MONOTONIC nanoseconds by default), so tests
// drive refill without sleeping. Thread-safe: check() and acquire_inflight() may run on any
// number of worker threads. The store may be shared with other limiters (tests, reloads).
#pragma once

#include "policy/principal.hpp"
#include "ratelimit/inflight.hpp"
#include "ratelimit/limits.hpp"
#include "ratelimit/store.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace toolgate {

struct Decision {
  bool allowed = true;
  std::int64_t retry_after_seconds = 0;  // >= 1 when denied; maps to retryAfterSeconds
  std::string limit;                     // denied: "tool" | "tenant" | "inflight" | "store"
  std::string message;                   // denied: the sentence for the caller; failed_open: a warning
  bool failed_open = false;              // allowed only because the store failed and policy says open
};

// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine.
std::int64_t monotonic_now_ns();

class RateLimiter {
 public:
  using Clock = std::function<std::int64_t()>;

  // `store` null: built from the config (make_bucket_store).
  // `inflight` null: a fresh count. A reload passes the previous limiter's store (when the store
  // settings are the same) and in-flight count, so that neither the buckets nor the calls
  // already running start again from zero: a new limit applies to the state as it is.
  explicit RateLimiter(RateLimitConfig config, Clock now_ns = monotonic_now_ns,
                       std::shared_ptr<BucketStore> store = nullptr, std::shared_ptr<InFlightLimiter> inflight = nullptr);

  Decision check(const Principal& principal, const std::string& tool,
                 const std::optional<RateLimit>& manifest_limit);

  // RAII slot for one running call; `!guard` means the principal is at maxInFlightPerPrincipal.
  // Hold the guard until the call has finished (response written or job done).
  InFlightGuard acquire_inflight(const Principal& principal);
  // The decision for a refused guard (limit "inflight", retry after 1 s); allowed otherwise.
  static Decision inflight_decision(const InFlightGuard& guard);

  // The limits check() would apply (nullopt: no bucket of that kind).
  std::optional<RateLimit> tool_limit(const std::string& tool, const std::optional<RateLimit>& manifest_limit) const;
  std::optional<RateLimit> tenant_limit(const std::string& tenant) const;

  // Bucket keys, unambiguous for any tenant/subject/tool text ('/' and '%' are escaped).
  static std::string tool_key(const Principal& principal, const std::string& tool);
  static std::string tenant_key(const std::string& tenant);

  const RateLimitConfig& config() const { return config_; }
  BucketStore& store() { return *store_; }
  const std::shared_ptr<BucketStore>& shared_store() const { return store_; }
  const std::shared_ptr<InFlightLimiter>& shared_inflight() const { return inflight_; }

 private:
  RateLimitConfig config_;
  Clock now_ns_;
  std::shared_ptr<BucketStore> store_;
  std::shared_ptr<InFlightLimiter> inflight_;
};

}  // namespace toolgate
