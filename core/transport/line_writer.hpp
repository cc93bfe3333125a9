// The only writer of the protocol descriptor. Each message goes out as one line in a single
// locked write sequence, so concurrent workers never interleave bytes. If the client goes away
// (EPIPE), the writer marks itself closed and drops later messages instead of dying: SIGPIPE is
// ignored process-wide by the app. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

namespace toolgate {

class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}

  // Appends '\n' and writes. Returns false once the peer is gone.
  bool write_line(std::string_view message);
  bool closed() const { return closed_.load(); }

 private:
  int fd_;
  std::mutex mu_;
  std::string scratch_;
  std::atomic<bool> closed_{false};
};

}  // namespace toolgate
