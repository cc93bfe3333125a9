#include "ratelimit/bucket.hpp"

#include <algorithm>
#include <cmath>

namespace toolgate {

namespace {
// Refill arithmetic in doubles leaves crumbs like 0.9999999999 where the exact answer is 1; a
// tolerance far below any meaningful rate keeps such crumbs from refusing a call that is due.
constexpr double kEpsilon = 1e-9;
constexpr double kNsPerSecond = 1e9;
}  // namespace

BucketState full_bucket(const RateLimit& limit, std::int64_t now_ns) {
  return BucketState{static_cast<double>(limit.burst), now_ns};
}

BucketState refilled(const BucketState& state, const RateLimit& limit, std::int64_t now_ns) {
  BucketState out = state;
  const double burst = static_cast<double>(limit.burst);
  if (now_ns > state.last_refill_ns) {
    const double elapsed_s = static_cast<double>(now_ns - state.last_refill_ns) / kNsPerSecond;
    out.tokens = std::min(burst, state.tokens + elapsed_s * limit.perSecond);
    out.last_refill_ns = now_ns;
  }
  out.tokens = std::clamp(out.tokens, 0.0, burst);
  return out;
}

std::int64_t retry_after_seconds(double tokens, const RateLimit& limit, double cost) {
  const double deficit = cost - tokens;
  if (deficit <= 0) return 1;
  const double seconds = std::ceil(deficit / limit.perSecond - kEpsilon);
  if (!(seconds < 9.0e18)) return INT64_MAX;  // absurdly slow rates: saturate, never overflow
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(seconds));
}

BucketOutcome take(BucketState& state, const RateLimit& limit, std::int64_t now_ns, double cost) {
  BucketState next = refilled(state, limit, now_ns);
  BucketOutcome out;
  if (next.tokens + kEpsilon >= cost) {
    next.tokens = std::max(0.0, next.tokens - cost);
    state = next;
    out.allowed = true;
    out.remaining = static_cast<std::int64_t>(std::floor(next.tokens + kEpsilon));
    return out;
  }
  out.retry_after_seconds = retry_after_seconds(next.tokens, limit, cost);
  return out;
}

BucketOutcome take_all(std::span<BucketState* const> states, std::span<const RateLimit> limits,
                       std::int64_t now_ns) {
  BucketOutcome out;
  out.allowed = true;
  out.remaining = INT64_MAX;
  // First pass decides without touching anything; the second commits only if every bucket agreed.
  for (std::size_t i = 0; i < states.size(); ++i) {
    BucketState probe = *states[i];
    BucketOutcome one = take(probe, limits[i], now_ns);
    if (!one.allowed) {
      if (out.allowed) out.refused_index = i;
      out.allowed = false;
      out.retry_after_seconds = std::max(out.retry_after_seconds, one.retry_after_seconds);
    } else {
      out.remaining = std::min(out.remaining, one.remaining);
    }
  }
  if (!out.allowed) {
    out.remaining = 0;
    return out;
  }
  for (std::size_t i = 0; i < states.size(); ++i) take(*states[i], limits[i], now_ns);
  if (states.empty()) out.remaining = 0;
  return out;
}

bool is_idle(const BucketState& state, const RateLimit& limit, std::int64_t now_ns, std::int64_t idle_ns) {
  if (now_ns - state.last_refill_ns < idle_ns) return false;
  return refilled(state, limit, now_ns).tokens + kEpsilon >= static_cast<double>(limit.burst);
}

}  // namespace toolgate
