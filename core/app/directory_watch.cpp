#include "app/directory_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace toolgate {

namespace {
constexpr std::uint32_t kEvents = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
                                  IN_DELETE_SELF | IN_MOVE_SELF;
}

DirectoryWatch::DirectoryWatch(const std::vector<std::string>& dirs, std::chrono::milliseconds quiet,
                               std::function<void()> on_settled)
    : quiet_(quiet), on_settled_(std::move(on_settled)) {
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) throw std::runtime_error(std::string("inotify: ") + std::strerror(errno));
  for (const auto& dir : dirs) {
    if (::inotify_add_watch(inotify_fd_, dir.c_str(), kEvents) < 0) {
      std::string why = std::strerror(errno);
      ::close(inotify_fd_);
      throw std::runtime_error("cannot watch " + dir + ": " + why);
    }
  }
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    std::string why = std::strerror(errno);
    ::close(inotify_fd_);
    throw std::runtime_error("cannot create the watch stop pipe: " + why);
  }
  thread_ = std::thread([this] { run(); });
}

DirectoryWatch::~DirectoryWatch() {
  char byte = 1;
  while (::write(stop_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  ::close(inotify_fd_);
}

void DirectoryWatch::run() {
  bool pending = false;
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    int rc = ::poll(fds, 2, pending ? static_cast<int>(quiet_.count()) : -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      spdlog::error("plugin directory watch stopped: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    if (rc == 0) {  // quiet for a whole period after the last event
      pending = false;
      try {
        on_settled_();
      } catch (const std::exception& e) {
        spdlog::error("plugin directory watch: {}", e.what());
      }
      continue;
    }
    // Drain everything queued; any event means "look again once things settle".
    for (;;) {
      ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending = true;
      for (char* p = buf; p < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(p);
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
          spdlog::warn("a watched plugin directory was removed or moved; drop-in loading stops for it");
        if (ev->mask & IN_Q_OVERFLOW) spdlog::debug("plugin directory watch: event queue overflowed; rescanning");
        p += sizeof(inotify_event) + ev->len;
      }
    }
  }
}

}  // namespace toolgate
