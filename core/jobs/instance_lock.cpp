#include "jobs/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "util/digest.hpp"

namespace toolgate {

InstanceLock::InstanceLock(const std::string& state_dir) : dir_(state_dir + "/owners"), id_(random_hex(8)) {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + dir_ + ": " + std::strerror(errno));
  std::string path = dir_ + "/" + id_ + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) throw std::runtime_error("cannot lock " + path + ": " + std::strerror(errno));
}

InstanceLock::~InstanceLock() {
  if (fd_ < 0) return;
  ::unlink((dir_ + "/" + id_ + ".lock").c_str());
  ::close(fd_);
}

bool InstanceLock::is_alive(const std::string& owner) const {
  if (owner == id_) return true;
  if (owner.empty() || owner.find_first_not_of("0123456789abcdef") != std::string::npos) return false;
  std::string path = dir_ + "/" + owner + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;  // never created or already cleaned up: nobody holds it
  bool alive = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  if (!alive) ::unlink(path.c_str());
  ::close(fd);
  return alive;
}

}  // namespace toolgate

namespace toolgate {

void InstanceLock::sweep() const {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const auto& p = e.path();
    if (p.extension() == ".lock") is_alive(p.stem().string());
  }
}

}  // namespace toolgate
