// Which toolgate processes sharing a state directory are still alive. Each process takes a random
// instance id and holds an exclusive flock on <state>/owners/<id>.lock for its whole life; the
// kernel drops the lock when the process dies, even by SIGKILL. At start-up a process can then
// tell a job whose owner is gone ("host restarted") from one another live process is running,
// so two sessions on one state directory never fail each other's jobs.
// Lifetime: one per process, held until exit. Thread-safe (is_alive only opens other files).
#pragma once

#include <string>

namespace toolgate {

class InstanceLock {
 public:
  // Creates <state_dir>/owners (0700) and locks a fresh file in it. Throws std::runtime_error.
  explicit InstanceLock(const std::string& state_dir);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

  const std::string& id() const { return id_; }
  // False when no live process holds `owner`'s lock; its lock file is then removed.
  bool is_alive(const std::string& owner) const;
  // Removes the lock files of every process that is gone (left by ones that exited).
  void sweep() const;

 private:
  std::string dir_;
  std::string id_;
  int fd_ = -1;
};

}  // namespace toolgate
