#include "transport/line_reader.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <unistd.h>

namespace toolgate {

LineReader::LineReader(int fd, std::size_t max_line_bytes) : fd_(fd), max_(max_line_bytes), buf_(1 << 16) {}

bool LineReader::fill() {
  begin_ = end_ = 0;
  if (before_read_) before_read_();
  if (spin_.count() > 0) {
    auto until = std::chrono::steady_clock::now() + spin_;
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 0) == 0 && std::chrono::steady_clock::now() < until) {
    }
  }
  for (;;) {
    ssize_t n = ::read(fd_, buf_.data(), buf_.size());
    if (n > 0) {
      end_ = static_cast<std::size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    return false;
  }
}

LineReader::Event LineReader::next(std::string& line) {
  line.clear();
  for (;;) {
    if (begin_ == end_) {
      if (eof_ || !fill()) {
        if (!eof_) return Event::Error;
        // A final line without a newline still counts as a message.
        if (!partial_.empty() && !discarding_) {
          line.swap(partial_);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          return Event::Line;
        }
        partial_.clear();
        return Event::Eof;
      }
    }
    const char* start = buf_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    std::size_t chunk = nl ? static_cast<std::size_t>(nl - start) : end_ - begin_;
    begin_ += chunk + (nl ? 1 : 0);
    if (discarding_) {
      if (nl) discarding_ = false;
      continue;
    }
    // A CRLF line's '\r' is framing, not message: one byte over the cap is fine while it may be
    // that '\r' (the last byte so far, with the '\n' still to come or right here).
    std::size_t total = partial_.size() + chunk;
    char last = chunk ? start[chunk - 1] : (partial_.empty() ? '\0' : partial_.back());
    if (total > max_ && !(total == max_ + 1 && last == '\r')) {
      partial_.clear();
      partial_.shrink_to_fit();
      discarding_ = nl == nullptr;
      return Event::Oversized;
    }
    partial_.append(start, chunk);
    if (nl) {
      line.swap(partial_);
      partial_.clear();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return Event::Line;
    }
  }
}

}  // namespace toolgate
