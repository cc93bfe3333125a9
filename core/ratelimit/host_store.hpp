// The `host` store: every toolgate process on this machine (one per client session) counts
// against the same buckets, with no server to run. Buckets live in a fixed-size open-addressing
// table inside a shared file (default /dev/shm/toolgate-ratelimit-<uid>, created 0600, so it is
// shared by the processes of one user; a file owned by someone else or open to others is refused).
// The file starts with a header (magic, version, layout sizes) checked on every open; the first
// process creates and initialises it under flock(), later ones map it as it is (the slot count
// written at creation wins over the configured one).
//
// Locking: one robust, process-shared pthread mutex per slot (and one more that serialises
// claiming slots for new keys). Robust mutexes were chosen over lock-free CAS on a packed word
// because a bucket is a double plus a timestamp plus the key it belongs to, which does not fit
// one CAS, and because the kernel hands a dead owner's lock to the next locker with EOWNERDEAD.
// A process that dies mid-update therefore cannot wedge the others: the next locker marks the
// mutex consistent and drops the slot (its half-written bucket is suspect), which at worst gives
// that one caller a fresh, full bucket. Lock waits are bounded by the lock timeout (a stopped,
// not dead, owner yields a store error, not a hang).
//
// Time: callers pass CLOCK_MONOTONIC nanoseconds, which is one clock for all processes on Linux.
// When no free slot is left within a key's probe window, a slot whose bucket is idle (full and
// untouched for idle_expiry) is reused; if none is, take() reports a store error.
// Thread-safe and process-safe. The mapping lives as long as the HostStore object.
#pragma once

#include "ratelimit/limits.hpp"
#include "ratelimit/store.hpp"

#include <cstdint>
#include <string>

namespace toolgate {

struct HostStoreOptions {
  std::string path = default_host_store_path();
  std::int64_t slots = 16384;  // only when creating the file
  std::int64_t idle_expiry_seconds = 600;
  std::int64_t lock_timeout_ms = 200;
};

class HostStore final : public BucketStore {
 public:
  // Never throws: a file that cannot be opened or validated makes every take() an error (so the
  // policy's onStoreError decides), and open_error() says why for a startup log line.
  explicit HostStore(HostStoreOptions options);
  ~HostStore() override;
  HostStore(const HostStore&) = delete;
  HostStore& operator=(const HostStore&) = delete;

  using BucketStore::take;
  TakeResult take(std::span<const BucketRequest> requests, std::int64_t now_ns) override;
  std::string name() const override { return "host (" + options_.path + ")"; }

  bool ok() const { return base_ != nullptr; }
  const std::string& open_error() const { return open_error_; }
  std::int64_t slot_count() const { return slot_count_; }
  // Slots holding a bucket (idle ones included).
  std::size_t used_slots() const;
  // Locks recovered from dead owners by any process since the file was created.
  std::uint64_t recovered_locks() const;

  // Test hooks: acquire a lock and return without releasing it, so a test can kill the process
  // while it holds the lock. Never call them in production code.
  bool test_hold_slot_lock(const std::string& key, const RateLimit& limit, std::int64_t now_ns);
  bool test_hold_claim_lock();

 private:
  struct Slot;
  struct Header;
  enum class Lock { held, recovered, timed_out, failed };
  struct Located {
    long index = -1;  // >= 0: slot; -1: error (see message); -2: retry
    std::string message;
  };

  Slot& slot(std::size_t i) const;
  Lock lock_slot(std::size_t i);
  Lock lock_mutex(void* mutex);
  void unlock_slot(std::size_t i);
  Located locate(const std::string& stored_key, std::uint64_t tag, std::size_t home, const RateLimit& limit,
                 std::int64_t now_ns);
  Located claim(const std::string& stored_key, std::uint64_t tag, std::size_t home, const RateLimit& limit,
                std::int64_t now_ns);
  bool slot_holds(std::size_t i, const std::string& stored_key, std::uint64_t tag) const;
  std::string open_file();

  HostStoreOptions options_;
  std::int64_t idle_ns_;
  std::string open_error_;
  unsigned char* base_ = nullptr;
  std::size_t map_size_ = 0;
  std::int64_t slot_count_ = 0;
  std::size_t max_probes_ = 0;
};

}  // namespace toolgate
