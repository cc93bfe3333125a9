// Line framing over a real pipe (core/transport/line_reader.hpp): lines, CRLF stripping, a final
// line without newline, empty lines, EOF, read errors, and the size cap: an oversized line is
// reported once, its remainder discarded across several reads, and the next line arrives intact.
#include "transport/line_reader.hpp"

#include <gtest/gtest.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace toolgate {

// Readable failure output; internal linkage, found by ADL for LineReader::Event.
[[maybe_unused]] static void PrintTo(LineReader::Event e, std::ostream* os) {
  static const char* names[] = {"Line", "Oversized", "Eof", "Error"};
  *os << names[static_cast<int>(e)];
}

namespace {

using Event = LineReader::Event;

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    ASSERT_GT(n, 0) << "write failed";
    off += static_cast<std::size_t>(n);
  }
}

// Blocks until the reader has taken every byte out of the pipe, so the next write lands in a
// separate read() call. FIONREAD is exact for pipes; this waits on a condition, not on time.
// Gives up if the reader already stopped (a failing test must not hang).
void wait_drained(int read_fd, const std::atomic<bool>& reader_done) {
  while (!reader_done) {
    int avail = -1;
    ASSERT_EQ(::ioctl(read_fd, FIONREAD, &avail), 0);
    if (avail == 0) return;
    std::this_thread::yield();
  }
}

class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    r_ = fds[0];
    w_ = fds[1];
  }
  ~Pipe() {
    close_write();
    if (r_ >= 0) ::close(r_);
  }
  int r() const { return r_; }
  int w() const { return w_; }
  void close_write() {
    if (w_ >= 0) ::close(w_);
    w_ = -1;
  }

 private:
  int r_ = -1, w_ = -1;
};

// Reads every event until Eof or Error; Line events carry their text, others an empty string.
std::vector<std::pair<Event, std::string>> drain(LineReader& reader) {
  std::vector<std::pair<Event, std::string>> out;
  for (;;) {
    std::string line = "stale";  // next() must clear it for non-Line events
    Event e = reader.next(line);
    out.emplace_back(e, line);
    if (e == Event::Eof || e == Event::Error) return out;
  }
}

using Events = std::vector<std::pair<Event, std::string>>;

Events read_all(const std::string& input, std::size_t max) {
  Pipe p;
  write_all(p.w(), input);
  p.close_write();
  LineReader reader(p.r(), max);
  return drain(reader);
}

TEST(LineReader, SplitsLines) {
  EXPECT_EQ(read_all("one\ntwo\n{\"x\":3}\n", 1024),
            (Events{{Event::Line, "one"}, {Event::Line, "two"}, {Event::Line, "{\"x\":3}"}, {Event::Eof, ""}}));
}

TEST(LineReader, StripsOneTrailingCarriageReturn) {
  EXPECT_EQ(read_all("a\r\nb\r\r\nc\rd\n", 1024),
            (Events{{Event::Line, "a"}, {Event::Line, "b\r"}, {Event::Line, "c\rd"}, {Event::Eof, ""}}));
}

TEST(LineReader, FinalLineWithoutNewlineIsALine) {
  EXPECT_EQ(read_all("a\nlast", 1024), (Events{{Event::Line, "a"}, {Event::Line, "last"}, {Event::Eof, ""}}));
  EXPECT_EQ(read_all("last\r", 1024), (Events{{Event::Line, "last"}, {Event::Eof, ""}}));
}

TEST(LineReader, EmptyLinesPassThroughAsEmpty) {
  EXPECT_EQ(read_all("\n\r\n a\n\n", 1024),
            (Events{{Event::Line, ""}, {Event::Line, ""}, {Event::Line, " a"}, {Event::Line, ""}, {Event::Eof, ""}}));
}

TEST(LineReader, EofOnEmptyInputAndStaysEof) {
  Pipe p;
  p.close_write();
  LineReader reader(p.r(), 1024);
  std::string line = "stale";
  EXPECT_EQ(reader.next(line), Event::Eof);
  EXPECT_EQ(line, "");
  EXPECT_EQ(reader.next(line), Event::Eof);
}

TEST(LineReader, ReadErrorIsReported) {
  Pipe p;
  LineReader reader(p.w(), 1024);  // reading the write end fails with EBADF
  std::string line;
  EXPECT_EQ(reader.next(line), Event::Error);
}

TEST(LineReader, LineExactlyAtCapIsAccepted) {
  std::string at_cap(16, 'a');
  EXPECT_EQ(read_all(at_cap + "\n" + at_cap, 16),
            (Events{{Event::Line, at_cap}, {Event::Line, at_cap}, {Event::Eof, ""}}));
}

TEST(LineReader, LineOneByteOverCapIsOversized) {
  EXPECT_EQ(read_all(std::string(17, 'a') + "\nok\n", 16),
            (Events{{Event::Oversized, ""}, {Event::Line, "ok"}, {Event::Eof, ""}}));
}

TEST(LineReader, TheCrOfCrlfDoesNotCountTowardsTheCap) {
  // The cap is on the message; a CRLF line's '\r' is framing. A '\r' inside the line counts.
  const std::string at_cap(16, 'a');
  EXPECT_EQ(read_all(at_cap + "\r\nok\n", 16), (Events{{Event::Line, at_cap}, {Event::Line, "ok"}, {Event::Eof, ""}}));
  EXPECT_EQ(read_all(at_cap + "a\r\nok\n", 16),
            (Events{{Event::Oversized, ""}, {Event::Line, "ok"}, {Event::Eof, ""}}));
  EXPECT_EQ(read_all(at_cap + "\rx\nok\n", 16),
            (Events{{Event::Oversized, ""}, {Event::Line, "ok"}, {Event::Eof, ""}}));
  EXPECT_EQ(read_all(at_cap + "\r", 16), (Events{{Event::Line, at_cap}, {Event::Eof, ""}}));
}

TEST(LineReader, OversizedFinalLineWithoutNewlineIsNotALine) {
  EXPECT_EQ(read_all("ok\n" + std::string(40, 'z'), 16),
            (Events{{Event::Line, "ok"}, {Event::Oversized, ""}, {Event::Eof, ""}}));
}

TEST(LineReader, OversizedLineStreamedInChunksIsReportedOnceAndDiscarded) {
  Pipe p;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    write_all(p.w(), "first\n");
    // 50 bytes of one line in 10-byte chunks, each taken by its own read(): the cap (16) is
    // crossed by the second chunk, and the rest must be discarded as it streams in.
    for (int i = 0; i < 5; ++i) {
      wait_drained(p.r(), done);
      write_all(p.w(), std::string(10, 'x'));
    }
    wait_drained(p.r(), done);
    write_all(p.w(), "xx\nnext\n");
    wait_drained(p.r(), done);
    write_all(p.w(), "tail");
    p.close_write();
  });
  LineReader reader(p.r(), 16);
  Events got = drain(reader);
  done = true;
  writer.join();
  EXPECT_EQ(got, (Events{{Event::Line, "first"},
                         {Event::Oversized, ""},
                         {Event::Line, "next"},
                         {Event::Line, "tail"},
                         {Event::Eof, ""}}));
}

TEST(LineReader, TwoOversizedLinesInARowAreReportedSeparately) {
  Pipe p;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int line = 0; line < 2; ++line) {
      for (int i = 0; i < 3; ++i) {
        wait_drained(p.r(), done);
        write_all(p.w(), std::string(12, 'y'));
      }
      wait_drained(p.r(), done);
      write_all(p.w(), "\n");
    }
    write_all(p.w(), "after\n");
    p.close_write();
  });
  LineReader reader(p.r(), 16);
  Events got = drain(reader);
  done = true;
  writer.join();
  EXPECT_EQ(got, (Events{{Event::Oversized, ""}, {Event::Oversized, ""}, {Event::Line, "after"}, {Event::Eof, ""}}));
}

TEST(LineReader, LongLineUnderCapIsAssembledAcrossBufferFills) {
  // Bigger than the reader's internal 64 KiB buffer and the pipe's capacity: needs a writer thread.
  std::string big(200 * 1024, 'b');
  big[0] = '{';
  big.back() = '}';
  Pipe p;
  std::thread writer([&] {
    write_all(p.w(), big + "\r\n" + "small\n");
    p.close_write();
  });
  LineReader reader(p.r(), 1 << 20);
  Events got = drain(reader);
  writer.join();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, Event::Line);
  EXPECT_EQ(got[0].second.size(), big.size());
  EXPECT_TRUE(got[0].second == big);
  EXPECT_EQ(got[1], (std::pair<Event, std::string>{Event::Line, "small"}));
  EXPECT_EQ(got[2].first, Event::Eof);
}

}  // namespace
}  // namespace toolgate
