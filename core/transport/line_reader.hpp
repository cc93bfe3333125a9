// Reads newline-delimited messages from a descriptor with a hard cap on line length. A line over
// the cap is reported as Oversized once and its remaining bytes are discarded as they stream in,
// so an attacker cannot make the host buffer an unbounded line. A trailing '\r' (CRLF framing) is
// stripped. One reader per descriptor; not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace toolgate {

class LineReader {
 public:
  enum class Event { Line, Oversized, Eof, Error };

  LineReader(int fd, std::size_t max_line_bytes);

  // Blocks until a whole line (Line, text in `line`), an over-long line (Oversized, `line` empty),
  // end of input (Eof) or a read error (Error).
  Event next(std::string& line);

  // Called just before each read(2), that is whenever the buffered input is used up and the
  // reader may block: the moment to send responses held back while input was still buffered.
  void set_before_read(std::function<void()> hook) { before_read_ = std::move(hook); }

  // When the buffered input runs out, poll for more for up to this long before sleeping in
  // read(2). The next request of a client that is mid-conversation then skips a scheduler
  // wake-up, which on a VM costs more than the request itself. 0 (default): never spin.
  void set_spin(std::chrono::microseconds spin) { spin_ = spin; }

 private:
  bool fill();

  int fd_;
  std::function<void()> before_read_;
  std::chrono::microseconds spin_{0};
  std::size_t max_;
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0;
  std::string partial_;
  bool discarding_ = false;
  bool eof_ = false;
};

}  // namespace toolgate
