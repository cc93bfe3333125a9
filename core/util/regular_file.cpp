#include "util/regular_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace toolgate {

int open_regular_file(const std::string& path, std::string& reason, bool allow_pipe) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    reason = std::strerror(errno);
    return -1;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || (allow_pipe && S_ISFIFO(st.st_mode)))) {
    reason = "not a regular file";
    ::close(fd);
    return -1;
  }
  // Reads block from here on: a regular file ignores O_NONBLOCK anyway, and an allowed pipe is
  // read to its end (a FIFO without a writer reads as empty at once).
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes, std::string& reason,
                                             bool allow_pipe) {
  int fd = open_regular_file(path, reason, allow_pipe);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      reason = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      reason = "larger than " + std::to_string(max_bytes) + " bytes";
      ::close(fd);
      return std::nullopt;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace toolgate
