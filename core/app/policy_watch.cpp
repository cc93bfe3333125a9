#include "app/policy_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <thread>

namespace toolgate {

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE;

// The directory the policy's bytes really live in, when `file` reaches them through a symlink;
// empty otherwise (or when it cannot be resolved right now, e.g. in the middle of a swap).
std::string target_directory(const fs::path& file) {
  std::error_code ec;
  fs::path real = fs::canonical(file, ec);
  if (ec) return {};
  fs::path named = fs::absolute(file, ec).lexically_normal();
  if (ec || real == named) return {};
  return real.parent_path().string();
}

}  // namespace

bool watch_policy_file(const std::string& file, std::function<void()> on_change, std::string& error) {
  fs::path p(file);
  std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string name = p.filename().string();
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) {
    error = std::string("inotify_init1: ") + std::strerror(errno);
    return false;
  }
  if (inotify_add_watch(fd, dir.c_str(), kEvents) < 0) {
    error = "cannot watch " + dir + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  // Reached through a symlink (a Kubernetes ConfigMap, a `current` link): the change is a swap
  // of a link or a write where the link points, and no event names the policy file. Then the
  // target's directory is watched too (again after every change, as the target moves), and any
  // change in a watched directory counts.
  auto follow_target = [fd, p] {
    std::string target = target_directory(p);
    if (!target.empty()) inotify_add_watch(fd, target.c_str(), kEvents);  // same watch if already there
    return !target.empty();
  };
  bool through_link = follow_target();
  std::thread([fd, p, name, through_link, follow_target, on_change = std::move(on_change)]() mutable {
    alignas(inotify_event) char buf[16 * 1024];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      bool ours = false;
      for (char* at = buf; at < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(at);
        if (ev->len > 0 && (through_link || name == ev->name)) {
          // A plain file is read once written (IN_CLOSE_WRITE), not when created empty; a link
          // created in its place (`ln -sf`) is complete at once.
          std::error_code ec;
          bool created = ev->mask & IN_CREATE;
          if (through_link || !created || fs::is_symlink(p, ec)) ours = true;
        }
        if (ev->mask & IN_Q_OVERFLOW) ours = true;  // events were lost; check to be sure
        at += sizeof(inotify_event) + ev->len;
      }
      if (!ours) continue;
      // A file that became a link (or stopped being one) is followed from now on.
      through_link = follow_target() || through_link;
      // One reload per batch of events: an editor's save is often several.
      on_change();
    }
  }).detach();
  return true;
}

}  // namespace toolgate
