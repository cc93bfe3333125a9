// Watches directories with inotify and calls back once things have settled: every create,
// finished write, rename in or out and delete re-arms a quiet period, and the callback runs on
// the watch thread when that period passes without another event. A burst of events (a plugin's
// library and manifest copied one after the other, a file written in many chunks) therefore
// costs one callback, and a callback always runs after the last event it could have missed.
// Events inside the callback re-arm the timer, so a change made during a reload is not lost.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace toolgate {

class DirectoryWatch {
 public:
  // Throws std::runtime_error naming the directory if inotify cannot watch it.
  DirectoryWatch(const std::vector<std::string>& dirs, std::chrono::milliseconds quiet,
                 std::function<void()> on_settled);
  ~DirectoryWatch();  // stops and joins the watch thread
  DirectoryWatch(const DirectoryWatch&) = delete;
  DirectoryWatch& operator=(const DirectoryWatch&) = delete;

 private:
  void run();

  int inotify_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::chrono::milliseconds quiet_;
  std::function<void()> on_settled_;
  std::thread thread_;
};

}  // namespace toolgate
