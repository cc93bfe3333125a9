// Reads newline-delimited messages from a descriptor with a hard cap on line length. A line over
// the cap is reported as Oversized once and its remaining bytes are discarded as they stream in,
// so an attacker cannot make the host buffer an unbounded line. A trailing '\r' (CRLF framing) is
// stripped. One reader per descriptor; not thread-safe.
#pragma once

#include <cstddef>
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

 private:
  bool fill();

  int fd_;
  std::size_t max_;
  std::vector<char> buf_;
  std::size_t begin_ = 0, end_ = 0;
  std::string partial_;
  bool discarding_ = false;
  bool eof_ = false;
};

}  // namespace toolgate
