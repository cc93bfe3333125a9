#include "ratelimit/memory_store.hpp"

#include <algorithm>
#include <array>
#include <functional>

namespace toolgate {

MemoryStore::MemoryStore(std::int64_t idle_expiry_seconds, std::size_t shard_count)
    : idle_ns_(std::max<std::int64_t>(1, idle_expiry_seconds) * 1'000'000'000LL),
      sweep_interval_ns_(std::max<std::int64_t>(idle_ns_ / 4, 1'000'000'000LL)),
      next_sweep_ns_(INT64_MIN) {
  shards_.reserve(std::max<std::size_t>(1, shard_count));
  for (std::size_t i = 0; i < std::max<std::size_t>(1, shard_count); ++i) shards_.push_back(std::make_unique<Shard>());
}

std::size_t MemoryStore::shard_of(const std::string& key) const {
  return std::hash<std::string>{}(key) % shards_.size();
}

TakeResult MemoryStore::take(std::span<const BucketRequest> requests, std::int64_t now_ns) {
  if (requests.size() > kMaxRequests) return TakeResult::failure("too many buckets in one request");
  maybe_sweep(now_ns);

  // Lock every shard involved, in index order, once each: the multi-bucket take is atomic and two
  // callers locking overlapping shards cannot deadlock.
  std::array<std::size_t, kMaxRequests> idx{};
  for (std::size_t i = 0; i < requests.size(); ++i) idx[i] = shard_of(requests[i].key);
  std::array<std::size_t, kMaxRequests> order = idx;
  std::sort(order.begin(), order.begin() + requests.size());
  std::size_t unique = std::unique(order.begin(), order.begin() + requests.size()) - order.begin();
  std::array<std::unique_lock<std::mutex>, kMaxRequests> locks;
  for (std::size_t i = 0; i < unique; ++i) locks[i] = std::unique_lock<std::mutex>(shards_[order[i]]->mu);

  std::array<BucketState*, kMaxRequests> states{};
  std::array<RateLimit, kMaxRequests> limits{};
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto& map = shards_[idx[i]]->buckets;
    auto it = map.find(requests[i].key);
    if (it == map.end()) {
      it = map.emplace(requests[i].key, Entry{full_bucket(requests[i].limit, now_ns), requests[i].limit}).first;
    }
    it->second.limit = requests[i].limit;
    states[i] = &it->second.state;
    limits[i] = requests[i].limit;
  }
  // A refused take leaves a freshly created bucket full and stale-timestamped; it is then idle
  // as soon as idle_expiry passes, exactly like one that was never created.
  return TakeResult::from(take_all(std::span<BucketState* const>(states.data(), requests.size()),
                                   std::span<const RateLimit>(limits.data(), requests.size()), now_ns));
}

std::size_t MemoryStore::sweep_shard(Shard& shard, std::int64_t now_ns) {
  std::lock_guard<std::mutex> lock(shard.mu);
  const std::size_t before = shard.buckets.size();
  std::erase_if(shard.buckets, [&](const auto& kv) {
    return is_idle(kv.second.state, kv.second.limit, now_ns, idle_ns_);
  });
  const std::size_t dropped = before - shard.buckets.size();
  // unordered_map keeps its bucket array after erasing; give it back after a large drop.
  if (dropped > 0 && shard.buckets.size() < before / 2) shard.buckets.rehash(0);
  return dropped;
}

std::size_t MemoryStore::sweep(std::int64_t now_ns) {
  std::size_t dropped = 0;
  for (auto& shard : shards_) dropped += sweep_shard(*shard, now_ns);
  return dropped;
}

void MemoryStore::maybe_sweep(std::int64_t now_ns) {
  std::int64_t due = next_sweep_ns_.load(std::memory_order_relaxed);
  if (due == INT64_MIN) {
    // First call: start the schedule from the caller's clock (tests inject arbitrary epochs).
    next_sweep_ns_.compare_exchange_strong(due, now_ns + sweep_interval_ns_, std::memory_order_relaxed);
    return;
  }
  if (now_ns < due) return;
  // One caller sweeps; the others carry on without waiting for it.
  if (!next_sweep_ns_.compare_exchange_strong(due, now_ns + sweep_interval_ns_, std::memory_order_relaxed)) return;
  sweep(now_ns);
}

std::size_t MemoryStore::size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mu);
    n += shard->buckets.size();
  }
  return n;
}

}  // namespace toolgate
