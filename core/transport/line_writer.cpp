#include "transport/line_writer.hpp"

#include <cerrno>
#include <unistd.h>

namespace toolgate {

namespace {
bool write_all(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}
}  // namespace

bool LineWriter::write_line(std::string_view message) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return false;
  pending_.append(message);
  pending_.push_back('\n');
  if (writer_active_) return true;  // the active writer flushes our line before it leaves
  writer_active_ = true;
  drain_as_writer(lock);
  return !closed_;
}

void LineWriter::drain_as_writer(std::unique_lock<std::mutex>& lock) {
  while (!pending_.empty() && !closed_) {
    writing_.swap(pending_);
    pending_.clear();
    lock.unlock();
    bool ok = write_all(fd_, writing_);
    lock.lock();
    writing_.clear();
    if (!ok) closed_ = true;
  }
  writer_active_ = false;
  pending_.clear();
}

LineWriter::Burst::Burst(LineWriter& w) : w_(w) {
  std::lock_guard<std::mutex> lock(w_.mu_);
  if (!w_.writer_active_ && !w_.closed_) owner_ = w_.writer_active_ = true;
}

LineWriter::Burst::~Burst() {
  if (!owner_) return;
  std::unique_lock<std::mutex> lock(w_.mu_);
  w_.drain_as_writer(lock);
}

}  // namespace toolgate
