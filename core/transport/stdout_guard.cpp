#include "transport/stdout_guard.hpp"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace toolgate {

int take_over_stdout() {
  std::fflush(stdout);
  int protocol_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (protocol_fd < 0) return -1;
  if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    ::close(protocol_fd);
    return -1;
  }
  // C stdio must not buffer into the redirected descriptor either.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return protocol_fd;
}

}  // namespace toolgate
