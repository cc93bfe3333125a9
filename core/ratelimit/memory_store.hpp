// The default store: buckets in this process only. A sharded hash map, one mutex per shard, so
// concurrent calls from different principals rarely contend.
//
// Memory stays bounded by the set of recently active callers: a bucket that is full again and
// untouched for idle_expiry is indistinguishable from a missing one, so it is dropped. Sweeps run
// inside take() at most once per sweep interval (a quarter of idle_expiry, at least 1 s), on the
// calling thread, one shard at a time; sweep() forces one.
// Thread-safe. Lifetime: owned (shared) by the limiters that use it.
#pragma once

#include "ratelimit/store.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace toolgate {

class MemoryStore final : public BucketStore {
 public:
  explicit MemoryStore(std::int64_t idle_expiry_seconds = 600, std::size_t shard_count = 64);

  using BucketStore::take;
  TakeResult take(std::span<const BucketRequest> requests, std::int64_t now_ns) override;
  std::string name() const override { return "memory"; }

  // Buckets currently held (for tests and metrics).
  std::size_t size() const;
  // Drops every idle bucket now; returns how many were dropped.
  std::size_t sweep(std::int64_t now_ns);

 private:
  struct Entry {
    BucketState state;
    RateLimit limit;  // the last limit used, to judge fullness when sweeping
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> buckets;
  };

  std::size_t shard_of(const std::string& key) const;
  std::size_t sweep_shard(Shard& shard, std::int64_t now_ns);
  void maybe_sweep(std::int64_t now_ns);

  std::int64_t idle_ns_;
  std::int64_t sweep_interval_ns_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::int64_t> next_sweep_ns_;
};

}  // namespace toolgate
