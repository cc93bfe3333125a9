#include "ratelimit/rate_limiter.hpp"

#include "ratelimit/store_factory.hpp"

#include <time.h>

#include <vector>

namespace toolgate {

namespace {

void append_escaped(std::string& out, const std::string& part) {
  for (char c : part) {
    if (c == '/') {
      out += "%2F";
    } else if (c == '%') {
      out += "%25";
    } else {
      out += c;
    }
  }
}

std::string principal_name(const Principal& p) {
  return (p.subject.empty() ? std::string("anonymous") : p.subject) +
         (p.tenant.empty() ? std::string() : " in tenant " + p.tenant);
}

}  // namespace

std::int64_t monotonic_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

RateLimiter::RateLimiter(RateLimitConfig config, Clock now_ns, std::shared_ptr<BucketStore> store,
                         std::shared_ptr<InFlightLimiter> inflight)
    : config_(std::move(config)),
      now_ns_(now_ns ? std::move(now_ns) : Clock(monotonic_now_ns)),
      store_(store ? std::move(store) : make_bucket_store(config_)),
      inflight_(inflight ? std::move(inflight) : std::make_shared<InFlightLimiter>(config_.max_in_flight_per_principal)) {
  inflight_->set_max(config_.max_in_flight_per_principal);
}

std::string RateLimiter::tool_key(const Principal& principal, const std::string& tool) {
  std::string key = "tool/";
  append_escaped(key, principal.tenant);
  key += '/';
  append_escaped(key, principal.subject);
  key += '/';
  append_escaped(key, tool);
  return key;
}

std::string RateLimiter::tenant_key(const std::string& tenant) {
  std::string key = "tenant/";
  append_escaped(key, tenant);
  return key;
}

std::optional<RateLimit> RateLimiter::tool_limit(const std::string& tool,
                                                 const std::optional<RateLimit>& manifest_limit) const {
  auto it = config_.per_tool.find(tool);
  if (it != config_.per_tool.end()) return it->second;
  return manifest_limit;
}

std::optional<RateLimit> RateLimiter::tenant_limit(const std::string& tenant) const {
  auto it = config_.tenants.find(tenant);
  if (it != config_.tenants.end()) return it->second;
  return config_.per_tenant;
}

Decision RateLimiter::check(const Principal& principal, const std::string& tool,
                            const std::optional<RateLimit>& manifest_limit) {
  enum class Kind { tool, tenant };
  BucketRequest requests[2];
  Kind kinds[2];
  std::size_t n = 0;
  if (auto limit = tool_limit(tool, manifest_limit)) {
    requests[n] = BucketRequest{tool_key(principal, tool), *limit};
    kinds[n++] = Kind::tool;
  }
  if (auto limit = tenant_limit(principal.tenant)) {
    requests[n] = BucketRequest{tenant_key(principal.tenant), *limit};
    kinds[n++] = Kind::tenant;
  }
  Decision d;
  if (n == 0) return d;

  TakeResult r = store_->take(std::span<const BucketRequest>(requests, n), now_ns_());
  if (r.error) {
    const std::string what = "rate limit store " + store_->name() + " unavailable";
    if (config_.fail_open) {
      d.failed_open = true;
      d.message = what + " (failing open): " + r.message;
      return d;
    }
    d.allowed = false;
    d.retry_after_seconds = 1;
    d.limit = "store";
    d.message = what + " (failing closed): " + r.message;
    return d;
  }
  if (r.allowed) return d;

  const std::size_t i = r.refused_index < n ? r.refused_index : 0;
  d.allowed = false;
  d.retry_after_seconds = r.retry_after_seconds < 1 ? 1 : r.retry_after_seconds;
  const std::string retry = "; retry after " + std::to_string(d.retry_after_seconds) + " s";
  if (kinds[i] == Kind::tool) {
    d.limit = "tool";
    d.message = "rate limit exceeded for tool " + tool + " (" + describe(requests[i].limit) + " per principal)" + retry;
  } else {
    d.limit = "tenant";
    d.message = "rate limit exceeded for tenant " + principal.tenant + " (" + describe(requests[i].limit) +
                " across all tools)" + retry;
  }
  return d;
}

InFlightGuard RateLimiter::acquire_inflight(const Principal& principal) {
  std::string key = principal.tenant;
  key += '\0';
  key += principal.subject;
  return inflight_->acquire(key, principal_name(principal));
}

Decision RateLimiter::inflight_decision(const InFlightGuard& guard) {
  Decision d;
  if (guard.acquired()) return d;
  d.allowed = false;
  d.retry_after_seconds = 1;
  d.limit = "inflight";
  d.message = guard.message();
  return d;
}

}  // namespace toolgate
