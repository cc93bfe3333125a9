#include "ratelimit/host_store.hpp"

#include "util/digest.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <type_traits>

namespace toolgate {

namespace {

constexpr char kMagic[8] = {'T', 'G', 'R', 'L', 'H', 'O', 'S', 'T'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 4096;
constexpr std::size_t kKeyMax = 160;
constexpr std::uint64_t kEmpty = 0;
constexpr std::uint64_t kTombstone = 1;  // a dropped slot: reusable, but probing goes on past it
constexpr std::size_t kMaxProbes = 256;
constexpr int kMaxAttempts = 8;

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t hash_key(const std::string& key) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then a finaliser for the low bits
  for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ULL;
  return mix64(h);
}

// Keys longer than a slot holds are replaced by their digest; limiter keys never start with \x01.
std::string stored_form(const std::string& key) {
  return key.size() <= kKeyMax ? key : "\x01" + sha256_hex(key);
}

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

// The on-disk layout. Plain fields only (atomics go through std::atomic_ref), so the bytes of the
// mapped file are the objects; the header records sizes so a build with another layout refuses it.
struct HostStore::Slot {
  pthread_mutex_t mu;      // robust + process-shared; guards everything below except `tag`
  std::uint64_t tag;       // kEmpty, kTombstone, or the key's hash (>= 2); written under mu
  double tokens;
  std::int64_t last_refill_ns;
  std::int64_t burst;      // the limit last used, to judge idleness for slot reuse
  double per_second;
  std::uint32_t key_len;
  char key[kKeyMax];
};

struct HostStore::Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_bytes;
  std::uint32_t slot_bytes;
  std::uint32_t mutex_bytes;
  std::uint64_t slot_count;
  std::uint64_t recoveries;  // atomic_ref
  pthread_mutex_t claim;     // serialises giving slots to new keys
};

namespace {
std::uint64_t load_tag(const std::uint64_t& tag) {
  return std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(tag)).load(std::memory_order_acquire);
}
void store_tag(std::uint64_t& tag, std::uint64_t value) {
  std::atomic_ref<std::uint64_t>(tag).store(value, std::memory_order_release);
}
}  // namespace

HostStore::HostStore(HostStoreOptions options)
    : options_(std::move(options)),
      idle_ns_(std::max<std::int64_t>(1, options_.idle_expiry_seconds) * 1'000'000'000LL) {
  static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free, "the tag is shared between processes");
  static_assert(sizeof(Header) <= kHeaderBytes);
  static_assert(sizeof(Slot) % 8 == 0 && alignof(Slot) <= 8);
  open_error_ = open_file();
  if (!open_error_.empty() && base_) {
    munmap(base_, map_size_);
    base_ = nullptr;
  }
}

HostStore::~HostStore() {
  if (base_) munmap(base_, map_size_);
}

std::string HostStore::open_file() {
  const std::string& path = options_.path;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return "cannot open " + path + ": " + errno_text(errno);
  // The mapping keeps the open file description (and so any flock on it) alive after close():
  // unlock explicitly.
  struct FdCloser {
    int fd;
    ~FdCloser() {
      flock(fd, LOCK_UN);
      ::close(fd);
    }
  } closer{fd};
  // Creation and validation happen under an exclusive flock so nobody maps a half-written header;
  // the kernel drops the flock if this process dies, and a zero magic means "initialise again".
  if (flock(fd, LOCK_EX) != 0) return "cannot lock " + path + ": " + errno_text(errno);
  struct stat st {};
  if (fstat(fd, &st) != 0) return "cannot stat " + path + ": " + errno_text(errno);
  if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    return path + " must be owned by this user and not accessible to others (mode 0600)";
  }
  const std::size_t slot_bytes = sizeof(Slot);
  Header probe{};
  bool fresh = st.st_size == 0;
  if (!fresh) {
    if (static_cast<std::size_t>(st.st_size) < kHeaderBytes) return path + " is not a toolgate rate-limit file (too short)";
    if (pread(fd, &probe, sizeof probe, 0) != static_cast<ssize_t>(sizeof probe)) {
      return "cannot read " + path + ": " + errno_text(errno);
    }
    static const char zeros[8] = {};
    fresh = std::memcmp(probe.magic, zeros, sizeof zeros) == 0;  // creator died before finishing
  }
  std::uint64_t slots = fresh ? static_cast<std::uint64_t>(std::max<std::int64_t>(64, options_.slots)) : probe.slot_count;
  if (!fresh) {
    if (std::memcmp(probe.magic, kMagic, sizeof kMagic) != 0) return path + " is not a toolgate rate-limit file (bad magic)";
    if (probe.version != kVersion || probe.header_bytes != kHeaderBytes || probe.slot_bytes != slot_bytes ||
        probe.mutex_bytes != sizeof(pthread_mutex_t)) {
      return path + " has an incompatible layout (version " + std::to_string(probe.version) +
             "); remove it when no toolgate process is running";
    }
    if (static_cast<std::uint64_t>(st.st_size) != kHeaderBytes + slots * slot_bytes) {
      return path + " has the wrong size for " + std::to_string(slots) + " slots";
    }
  }
  map_size_ = kHeaderBytes + slots * slot_bytes;
  if (fresh && ftruncate(fd, static_cast<off_t>(map_size_)) != 0) {
    return "cannot size " + path + ": " + errno_text(errno);
  }
  void* p = mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return "cannot map " + path + ": " + errno_text(errno);
  base_ = static_cast<unsigned char*>(p);
  slot_count_ = static_cast<std::int64_t>(slots);
  max_probes_ = std::min<std::size_t>(kMaxProbes, slots);
  if (fresh) {
    std::memset(base_, 0, map_size_);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    auto* h = reinterpret_cast<Header*>(base_);
    int rc = pthread_mutex_init(&h->claim, &attr);
    for (std::uint64_t i = 0; rc == 0 && i < slots; ++i) rc = pthread_mutex_init(&slot(i).mu, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0) return "cannot initialise locks in " + path + ": " + errno_text(rc);
    h->version = kVersion;
    h->header_bytes = kHeaderBytes;
    h->slot_bytes = static_cast<std::uint32_t>(slot_bytes);
    h->mutex_bytes = sizeof(pthread_mutex_t);
    h->slot_count = slots;
    std::memcpy(h->magic, kMagic, sizeof kMagic);  // last: marks the file complete
  }
  return "";
}

HostStore::Slot& HostStore::slot(std::size_t i) const {
  return reinterpret_cast<Slot*>(base_ + kHeaderBytes)[i];
}

HostStore::Lock HostStore::lock_mutex(void* mutex) {
  auto* m = static_cast<pthread_mutex_t*>(mutex);
  int rc = pthread_mutex_trylock(m);  // uncontended: no clock read for the deadline
  if (rc == EBUSY) {
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    const std::int64_t ns = deadline.tv_nsec + options_.lock_timeout_ms * 1'000'000LL;
    deadline.tv_sec += ns / 1'000'000'000LL;
    deadline.tv_nsec = ns % 1'000'000'000LL;
    rc = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &deadline);
  }
  if (rc == 0) return Lock::held;
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(m);
    std::atomic_ref<std::uint64_t>(reinterpret_cast<Header*>(base_)->recoveries).fetch_add(1);
    return Lock::recovered;
  }
  return rc == ETIMEDOUT ? Lock::timed_out : Lock::failed;
}

HostStore::Lock HostStore::lock_slot(std::size_t i) {
  Slot& s = slot(i);
  Lock l = lock_mutex(&s.mu);
  if (l == Lock::recovered) {
    // The owner died while it held this slot: whatever it was writing is suspect. Dropping the
    // slot (tombstone, so probe chains stay intact) resets that one bucket to full.
    store_tag(s.tag, kTombstone);
    s.key_len = 0;
  }
  return l;
}

void HostStore::unlock_slot(std::size_t i) { pthread_mutex_unlock(&slot(i).mu); }

bool HostStore::slot_holds(std::size_t i, const std::string& stored_key, std::uint64_t tag) const {
  const Slot& s = slot(i);
  return load_tag(s.tag) == tag && s.key_len == stored_key.size() && std::memcmp(s.key, stored_key.data(), s.key_len) == 0;
}

HostStore::Located HostStore::locate(const std::string& stored_key, std::uint64_t tag, std::size_t home,
                                     const RateLimit& limit, std::int64_t now_ns) {
  // Fast path without the claim lock: keys are only ever placed (or replaced) under it, and a
  // key always sits before the first empty slot of its probe chain.
  for (std::size_t p = 0; p < max_probes_; ++p) {
    const std::size_t i = (home + p) % slot_count_;
    const std::uint64_t t = load_tag(slot(i).tag);
    if (t == kEmpty) break;
    if (t != tag) continue;
    Lock l = lock_slot(i);
    if (l == Lock::timed_out || l == Lock::failed) return {-1, "timed out waiting for a bucket lock"};
    const bool mine = slot_holds(i, stored_key, tag);
    unlock_slot(i);
    if (mine) return {static_cast<long>(i), ""};
  }
  return claim(stored_key, tag, home, limit, now_ns);
}

HostStore::Located HostStore::claim(const std::string& stored_key, std::uint64_t tag, std::size_t home,
                                    const RateLimit& limit, std::int64_t now_ns) {
  auto* header = reinterpret_cast<Header*>(base_);
  Lock cl = lock_mutex(&header->claim);
  if (cl == Lock::timed_out || cl == Lock::failed) return {-1, "timed out waiting for the slot-claim lock"};
  struct Unlock {
    pthread_mutex_t* m;
    ~Unlock() { pthread_mutex_unlock(m); }
  } unlock_claim{&header->claim};

  long candidate = -1;
  for (std::size_t p = 0; p < max_probes_; ++p) {
    const std::size_t i = (home + p) % slot_count_;
    const std::uint64_t t = load_tag(slot(i).tag);
    if (t == kEmpty || t == kTombstone) {
      if (candidate < 0) candidate = static_cast<long>(i);
      if (t == kEmpty) break;
      continue;
    }
    Lock l = lock_slot(i);
    if (l == Lock::timed_out || l == Lock::failed) {
      // It might hold this very key: claiming another slot would split the bucket in two.
      if (t == tag) return {-1, "timed out waiting for a bucket lock"};
      continue;  // busy or broken: not a candidate
    }
    const Slot& s = slot(i);
    if (slot_holds(i, stored_key, tag)) {
      unlock_slot(i);
      return {static_cast<long>(i), ""};
    }
    const bool reusable = load_tag(s.tag) == kTombstone ||
                          is_idle(BucketState{s.tokens, s.last_refill_ns}, RateLimit{s.burst, s.per_second}, now_ns, idle_ns_);
    unlock_slot(i);
    if (reusable && candidate < 0) candidate = static_cast<long>(i);
  }
  if (candidate < 0) {
    return {-1, "table full: no free or idle slot among the " + std::to_string(max_probes_) + " slots this key may use (" +
                    std::to_string(slot_count_) + " slots in all; raise hostStoreSlots and remove " + options_.path +
                    " while no toolgate runs)"};
  }
  const std::size_t i = static_cast<std::size_t>(candidate);
  Lock l = lock_slot(i);
  if (l == Lock::timed_out || l == Lock::failed) return {-2, ""};
  Slot& s = slot(i);
  // A fast-path caller may have used the idle bucket we picked while we were scanning.
  const std::uint64_t now_tag = load_tag(s.tag);
  const bool still_free = now_tag == kEmpty || now_tag == kTombstone ||
                          is_idle(BucketState{s.tokens, s.last_refill_ns}, RateLimit{s.burst, s.per_second}, now_ns, idle_ns_);
  if (!still_free) {
    unlock_slot(i);
    return {-2, ""};
  }
  s.key_len = static_cast<std::uint32_t>(stored_key.size());
  std::memcpy(s.key, stored_key.data(), stored_key.size());
  BucketState full = full_bucket(limit, now_ns);
  s.tokens = full.tokens;
  s.last_refill_ns = full.last_refill_ns;
  s.burst = limit.burst;
  s.per_second = limit.perSecond;
  store_tag(s.tag, tag);
  unlock_slot(i);
  return {candidate, ""};
}

TakeResult HostStore::take(std::span<const BucketRequest> requests, std::int64_t now_ns) {
  if (!base_) return TakeResult::failure(open_error_);
  if (requests.size() > kMaxRequests) return TakeResult::failure("too many buckets in one request");
  const std::size_t n = requests.size();
  std::array<std::string, kMaxRequests> keys;
  std::array<std::uint64_t, kMaxRequests> tags{};
  std::array<std::size_t, kMaxRequests> homes{};
  for (std::size_t k = 0; k < n; ++k) {
    keys[k] = stored_form(requests[k].key);
    const std::uint64_t h = hash_key(keys[k]);
    tags[k] = h < 2 ? h + 2 : h;
    homes[k] = mix64(h ^ 0x9e3779b97f4a7c15ULL) % static_cast<std::uint64_t>(slot_count_);
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::array<std::size_t, kMaxRequests> idx{};
    bool retry = false;
    for (std::size_t k = 0; k < n && !retry; ++k) {
      Located at = locate(keys[k], tags[k], homes[k], requests[k].limit, now_ns);
      if (at.index == -1) return TakeResult::failure(at.message);
      retry = at.index == -2;
      idx[k] = static_cast<std::size_t>(at.index);
    }
    if (retry) continue;
    // Lock the slots in index order (no deadlock with other takers), then check that each still
    // holds its key: between locating and locking, an idle slot may have been handed to another key.
    std::array<std::size_t, kMaxRequests> order = idx;
    std::sort(order.begin(), order.begin() + n);
    const std::size_t unique = std::unique(order.begin(), order.begin() + n) - order.begin();
    std::size_t locked = 0;
    bool timed_out = false;
    for (; locked < unique; ++locked) {
      Lock l = lock_slot(order[locked]);
      if (l == Lock::timed_out || l == Lock::failed) {
        timed_out = true;
        break;
      }
      if (l == Lock::recovered) {
        ++locked;
        retry = true;
        break;
      }
    }
    for (std::size_t k = 0; k < n && !retry && !timed_out; ++k) retry = !slot_holds(idx[k], keys[k], tags[k]);
    if (retry || timed_out) {
      for (std::size_t j = 0; j < locked; ++j) unlock_slot(order[j]);
      if (timed_out) return TakeResult::failure("timed out waiting for a bucket lock");
      continue;
    }
    std::array<BucketState, kMaxRequests> states{};
    std::array<BucketState*, kMaxRequests> ptrs{};
    std::array<RateLimit, kMaxRequests> limits{};
    for (std::size_t k = 0; k < n; ++k) {
      states[k] = BucketState{slot(idx[k]).tokens, slot(idx[k]).last_refill_ns};
      ptrs[k] = &states[k];
      limits[k] = requests[k].limit;
    }
    BucketOutcome out = take_all(std::span<BucketState* const>(ptrs.data(), n),
                                 std::span<const RateLimit>(limits.data(), n), now_ns);
    for (std::size_t k = 0; k < n; ++k) {
      Slot& s = slot(idx[k]);
      s.tokens = states[k].tokens;
      s.last_refill_ns = states[k].last_refill_ns;
      s.burst = limits[k].burst;
      s.per_second = limits[k].perSecond;
    }
    for (std::size_t j = 0; j < unique; ++j) unlock_slot(order[j]);
    return TakeResult::from(out);
  }
  return TakeResult::failure("gave up after " + std::to_string(kMaxAttempts) + " attempts under contention");
}

std::size_t HostStore::used_slots() const {
  if (!base_) return 0;
  std::size_t n = 0;
  for (std::int64_t i = 0; i < slot_count_; ++i) {
    n += load_tag(slot(i).tag) >= 2;
  }
  return n;
}

std::uint64_t HostStore::recovered_locks() const {
  if (!base_) return 0;
  return std::atomic_ref<std::uint64_t>(reinterpret_cast<Header*>(base_)->recoveries).load();
}

bool HostStore::test_hold_slot_lock(const std::string& key, const RateLimit& limit, std::int64_t now_ns) {
  if (!base_) return false;
  const std::string stored = stored_form(key);
  const std::uint64_t h = hash_key(stored);
  const std::uint64_t tag = h < 2 ? h + 2 : h;
  Located at = locate(stored, tag, mix64(h ^ 0x9e3779b97f4a7c15ULL) % slot_count_, limit, now_ns);
  return at.index >= 0 && lock_slot(static_cast<std::size_t>(at.index)) != Lock::timed_out;
}

bool HostStore::test_hold_claim_lock() {
  return base_ && lock_mutex(&reinterpret_cast<Header*>(base_)->claim) != Lock::timed_out;
}

}  // namespace toolgate
