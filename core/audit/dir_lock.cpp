#include "audit/dir_lock.hpp"

#include "audit/chain.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace toolgate {

namespace {
constexpr std::uint64_t kMagic = 0x746f6f6c67617401ull;  // "toolgat" + layout version 1
constexpr std::size_t kMapSize = 4096;
}  // namespace

struct AuditDirLock::State {
  std::uint64_t magic;  // written last, once the rest is initialised
  pthread_mutex_t mutex;
  std::uint64_t generation;
  std::uint32_t needs_scan;
  std::uint32_t has_hash;
  char last_hash[64];
};


AuditDirLock::~AuditDirLock() { close(); }

bool AuditDirLock::open(const std::string& path, std::string& error) {
  static_assert(sizeof(State) <= kMapSize);

  close();
  auto fail = [&](const std::string& what) {
    error = what + " " + path + ": " + std::strerror(errno);
    close();
    return false;
  };
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return fail("cannot open");
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR) return fail("cannot lock");
  int rc = ::posix_fallocate(fd_, 0, kMapSize);  // real blocks now: a full disk fails here, not later
  if (rc != 0) {
    errno = rc;
    return fail("cannot allocate");
  }
  void* mem = ::mmap(nullptr, kMapSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (mem == MAP_FAILED) return fail("cannot map");
  state_ = static_cast<State*>(mem);
  if (__atomic_load_n(&state_->magic, __ATOMIC_ACQUIRE) != kMagic) {
    std::memset(static_cast<void*>(state_), 0, sizeof(State));
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&state_->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    state_->needs_scan = 1;
    __atomic_store_n(&state_->magic, kMagic, __ATOMIC_RELEASE);
  }
  ::flock(fd_, LOCK_UN);
  return true;
}

void AuditDirLock::close() {
  if (locked_) unlock();
  if (state_) ::munmap(state_, kMapSize);
  state_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool AuditDirLock::lock(bool& owner_died, std::string& error) {
  owner_died = false;
  int rc = pthread_mutex_lock(&state_->mutex);
  if (rc == EOWNERDEAD) {
    pthread_mutex_consistent(&state_->mutex);
    owner_died = true;
    state_->needs_scan = 1;
    rc = 0;
  }
  if (rc != 0) {
    error = std::string("cannot lock the audit directory: ") + std::strerror(rc);
    return false;
  }
  locked_ = true;
  return true;
}

void AuditDirLock::unlock() {
  if (!locked_) return;
  pthread_mutex_unlock(&state_->mutex);
  locked_ = false;
}

std::uint64_t AuditDirLock::generation() const { return state_->generation; }
bool AuditDirLock::needs_scan() const { return state_->needs_scan != 0; }

std::optional<std::string> AuditDirLock::last_hash() const {
  if (!state_->has_hash) return std::nullopt;
  std::string h(state_->last_hash, sizeof state_->last_hash);
  if (!is_hex64(h)) return std::nullopt;
  return h;
}

void AuditDirLock::committed(const std::string& hash) {
  std::memcpy(state_->last_hash, hash.data(), sizeof state_->last_hash);
  state_->has_hash = 1;
  state_->needs_scan = 0;
  ++state_->generation;
}

void AuditDirLock::mark_needs_scan() {
  state_->needs_scan = 1;
  ++state_->generation;
}

}  // namespace toolgate
