#include "transport/line_writer.hpp"

#include <cerrno>
#include <climits>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "util/output_deferral.hpp"

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

LineWriter::~LineWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  background_cv_.notify_all();
  if (background_.joinable()) background_.join();
}

void LineWriter::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  if (writer_active_ || pending_.empty() || closed_) return;
  writer_active_ = true;
  drain_without_blocking(lock);
}

bool LineWriter::drain(std::chrono::steady_clock::time_point deadline) {
  flush();  // what the descriptor takes now; the background writer gets the rest
  std::unique_lock<std::mutex> lock(mu_);
  return drained_.wait_until(lock, deadline, [&] {
    return closed_ || (pending_.empty() && !writer_active_ && !background_active_);
  });
}

bool LineWriter::write_line(std::string_view message) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return false;
  bool deferring = OutputDeferral::active();
  // The client is not reading: wait while the background writer (which may block) has the
  // role, if this thread is the reader or works for it (OutputBackPressure). Never when this
  // thread might hold the role itself (a Burst): nobody would drain.
  if (pending_.size() >= kPendingCap && background_active_ && OutputBackPressure::active()) {
    cap_waits_.fetch_add(1);
    drained_.wait(lock, [&] { return pending_.size() < kPendingCap || closed_ || !background_active_; });
  }
  if (closed_) return false;
  pending_.append(message);
  pending_.push_back('\n');
  if (writer_active_) return true;  // the active writer flushes our line before it leaves
  writer_active_ = true;
  if (!deferring) {
    drain_as_writer(lock);
  } else if (pending_.size() >= kDeferLimit) {
    drain_without_blocking(lock);  // flush() sends the rest soon
  } else {
    writer_active_ = false;
  }
  return !closed_;
}

void LineWriter::drain_as_writer(std::unique_lock<std::mutex>& lock) {
  while (!pending_.empty() && !closed_) {
    writing_.swap(pending_);
    pending_.clear();
    drained_.notify_all();
    lock.unlock();
    bool ok = write_all(fd_, writing_);
    lock.lock();
    writing_.clear();
    if (!ok) closed_ = true;
  }
  writer_active_ = false;
  pending_.clear();
  drained_.notify_all();
}

void LineWriter::drain_without_blocking(std::unique_lock<std::mutex>& lock) {
  while (!pending_.empty() && !closed_) {
    writing_.swap(pending_);
    pending_.clear();
    lock.unlock();
    std::size_t done = 0;
    bool ok = true, full = false;
    while (done < writing_.size() && nowait_works_.load(std::memory_order_relaxed)) {
      // One call for the lot where the kernel supports non-blocking writes per call (pipes
      // since Linux 5.x): it writes what fits and says EAGAIN for the rest.
      iovec v{writing_.data() + done, writing_.size() - done};
      ssize_t n = ::pwritev2(fd_, &v, 1, -1, RWF_NOWAIT);
      if (n >= 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        full = true;
        break;
      }
      if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS || errno == ESPIPE) {
        nowait_works_ = false;  // this descriptor or kernel cannot: poll and write PIPE_BUF at a time
        break;
      }
      ok = false;
      break;
    }
    while (ok && !full && done < writing_.size()) {
      pollfd p{fd_, POLLOUT, 0};
      int r = ::poll(&p, 1, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        full = true;
        break;
      }
      // A pipe that polls writable takes PIPE_BUF bytes without blocking. An error or hang-up
      // shows in the write itself.
      ssize_t n = ::write(fd_, writing_.data() + done, std::min<std::size_t>(PIPE_BUF, writing_.size() - done));
      if (n < 0) {
        if (errno == EINTR) continue;
        ok = false;
        break;
      }
      done += static_cast<std::size_t>(n);
    }
    lock.lock();
    if (!ok) closed_ = true;
    if (full && !closed_) {
      // The unwritten rest goes first, before lines queued meanwhile; the role passes on.
      writing_.erase(0, done);
      pending_.insert(0, writing_);
      writing_.clear();
      if (!background_.joinable()) {
        try {
          background_ = std::thread([this] { background_loop(); });
        } catch (const std::system_error&) {
          drain_as_writer(lock);  // no thread to be had: write here, blocking if need be
          return;
        }
      }
      background_wanted_ = background_active_ = true;
      background_cv_.notify_one();
      return;
    }
    writing_.clear();
    drained_.notify_all();
  }
  writer_active_ = false;
  if (closed_) pending_.clear();
  drained_.notify_all();
}

void LineWriter::background_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    background_cv_.wait(lock, [&] { return background_wanted_ || stopping_; });
    if (!background_wanted_) return;
    background_wanted_ = false;
    drain_as_writer(lock);  // it holds the writer role handed over by drain_without_blocking
    background_active_ = false;
    drained_.notify_all();
  }
}

LineWriter::Burst::Burst(LineWriter& w) : w_(w) {
  std::lock_guard<std::mutex> lock(w_.mu_);
  if (!w_.writer_active_ && !w_.closed_) owner_ = w_.writer_active_ = true;
}

LineWriter::Burst::~Burst() {
  if (!owner_) return;
  // Never blocks, whoever runs the burst: an audit batch's continuations may run on the stand-by
  // or on the main thread at shutdown, which must not hang on a client that reads slowly (the
  // background writer waits for it instead, and drain() bounds that wait at exit).
  std::unique_lock<std::mutex> lock(w_.mu_);
  w_.drain_without_blocking(lock);
}

}  // namespace toolgate
