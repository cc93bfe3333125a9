#include "app/policy_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

namespace toolgate {

bool watch_policy_file(const std::string& file, std::function<void()> on_change, std::string& error) {
  namespace fs = std::filesystem;
  fs::path p(file);
  std::string dir = p.parent_path().string();
  std::string name = p.filename().string();
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) {
    error = std::string("inotify_init1: ") + std::strerror(errno);
    return false;
  }
  if (inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    error = "cannot watch " + dir + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  std::thread([fd, name, on_change = std::move(on_change)] {
    alignas(inotify_event) char buf[16 * 1024];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      bool ours = false;
      for (char* at = buf; at < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(at);
        if (ev->len > 0 && name == ev->name) ours = true;
        if (ev->mask & IN_Q_OVERFLOW) ours = true;  // events were lost; check to be sure
        at += sizeof(inotify_event) + ev->len;
      }
      // One reload per batch of events: an editor's save is often several.
      if (ours) on_change();
    }
  }).detach();
  return true;
}

}  // namespace toolgate
