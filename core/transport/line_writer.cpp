#include "transport/line_writer.hpp"

#include <cerrno>
#include <unistd.h>

namespace toolgate {

bool LineWriter::write_line(std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  scratch_.assign(message);
  scratch_.push_back('\n');
  const char* p = scratch_.data();
  std::size_t left = scratch_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      closed_ = true;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace toolgate
