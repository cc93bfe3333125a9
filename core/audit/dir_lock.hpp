// Coordination between toolgate processes that write one audit directory (one process per
// client session is normal). DIR/.audit.lock is a small file mapped into every writer: it holds
// a robust, process-shared mutex, a generation number bumped by every successful batch, the
// hash the chain ends with, and a "needs scan" flag set when a write failed part-way.
// Uncontended locking costs no system call (the reason this is not flock(2)); a writer that
// dies holding the mutex is detected by the next locker (EOWNERDEAD), which then re-reads the
// files. The mapping is set up under flock(2), once per open, so two processes cannot
// initialise it at the same time; its blocks are allocated up front so a full disk can never
// turn a store into SIGBUS.
// Not thread-safe: the owning AuditFileSink is used under AuditLog's writer mutex; lock and
// unlock must happen on the same thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace toolgate {

class AuditDirLock {
 public:
  AuditDirLock() = default;
  ~AuditDirLock();
  AuditDirLock(const AuditDirLock&) = delete;
  AuditDirLock& operator=(const AuditDirLock&) = delete;

  bool open(const std::string& path, std::string& error);
  bool is_open() const { return state_ != nullptr; }
  void close();  // unlocks first if locked

  // Blocks until this process holds the directory. `owner_died` reports that the previous
  // holder died while holding it (its write may be torn).
  bool lock(bool& owner_died, std::string& error);
  void unlock();
  bool locked() const { return locked_; }

  // Shared state; read or change only while locked.
  std::uint64_t generation() const;
  bool needs_scan() const;
  std::optional<std::string> last_hash() const;
  // After a successful batch: the chain now ends at `hash`.
  void committed(const std::string& hash);
  // After a failed batch: whoever writes next must re-read the files first.
  void mark_needs_scan();

 private:
  struct State;
  int fd_ = -1;
  State* state_ = nullptr;
  bool locked_ = false;
};

}  // namespace toolgate
