// LineWriter inside an OutputDeferral scope: lines wait for flush() (or the size cap, or another
// thread's write) and then leave together; outside a scope, or once its condition fails, a line
// leaves at once. Read back through a real pipe.
#include "transport/line_writer.hpp"
#include "util/output_deferral.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace toolgate {
namespace {

class Pipe {
 public:
  // Roomy by default, so tests that never read do not fill it.
  explicit Pipe(int capacity = 1 << 20) {
    EXPECT_EQ(::pipe(fds_), 0);
    ::fcntl(fds_[0], F_SETFL, O_NONBLOCK);
    ::fcntl(fds_[1], F_SETPIPE_SZ, capacity);
  }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int write_end() const { return fds_[1]; }
  std::string drain() {  // whatever is in the pipe now
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds_[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  int fds_[2];
};

bool always() { return true; }
bool never() { return false; }

TEST(OutputDeferral, LinesWaitForFlushThenLeaveTogether) {
  Pipe p;
  LineWriter w(p.write_end());
  {
    OutputDeferral defer(&always);
    EXPECT_TRUE(OutputDeferral::active());
    w.write_line("one");
    w.write_line("two");
    EXPECT_EQ(p.drain(), "") << "a deferred line was written before flush()";
    w.flush();
  }
  EXPECT_FALSE(OutputDeferral::active());
  EXPECT_EQ(p.drain(), "one\ntwo\n");
}

TEST(OutputDeferral, OutsideAScopeOrWhenItsConditionFailsLinesLeaveAtOnce) {
  Pipe p;
  LineWriter w(p.write_end());
  w.write_line("plain");
  EXPECT_EQ(p.drain(), "plain\n");
  OutputDeferral defer(&never);
  EXPECT_FALSE(OutputDeferral::active());
  w.write_line("taken over");
  EXPECT_EQ(p.drain(), "taken over\n");
}

TEST(OutputDeferral, AnotherThreadsWriteCarriesDeferredLines) {
  Pipe p;
  LineWriter w(p.write_end());
  OutputDeferral defer(&always);
  w.write_line("held");
  std::thread([&] { w.write_line("other"); }).join();  // not deferring: writes, and takes ours along
  EXPECT_EQ(p.drain(), "held\nother\n");
}

TEST(OutputDeferral, SizeCapForcesAWrite) {
  Pipe p;
  LineWriter w(p.write_end());
  OutputDeferral defer(&always);
  std::string line(1000, 'x');
  std::size_t written = 0;
  while (written < LineWriter::kDeferLimit + 2000) {
    w.write_line(line);
    written += line.size() + 1;
  }
  std::string out = p.drain();
  EXPECT_GE(out.size(), LineWriter::kDeferLimit) << "held back past the cap";
  EXPECT_LT(out.size(), written) << "the lines after the cap should still wait";
  w.flush();
  EXPECT_EQ(out.size() + p.drain().size(), written);
}

// A client that writes a long burst before it reads anything: the reader's flush must not block
// on the full pipe (it would stop reading stdin and both sides would wait for ever); what does
// not fit leaves later through the background writer, in order.
void fill_a_pipe_nobody_reads(bool poll_writes) {
  Pipe p(4096);
  LineWriter w(p.write_end());
  if (poll_writes) w.force_poll_writes();
  std::string expected;
  auto flushed = std::async(std::launch::async, [&] {
    OutputDeferral defer(&always);
    for (int i = 0; i < 2000; ++i) {
      std::string line = "response " + std::to_string(i) + " " + std::string(40, 'x');
      w.write_line(line);
      expected += line + "\n";
      if (i % 64 == 63) w.flush();
    }
    w.flush();
  });
  ASSERT_EQ(flushed.wait_for(std::chrono::seconds(20)), std::future_status::ready)
      << "a deferring writer blocked on a pipe nobody read";
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
    std::string chunk = p.drain();
    if (chunk.empty()) std::this_thread::yield();  // the background writer refills the pipe
    got += chunk;
  }
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected) << "lines lost or reordered";
}

TEST(OutputDeferral, FlushNeverBlocksOnAFullPipeAndNothingIsLost) { fill_a_pipe_nobody_reads(false); }
TEST(OutputDeferral, SameWithPollAndPipeBufWrites) { fill_a_pipe_nobody_reads(true); }

// The audit log's writer thread sends the reader's responses in bursts, without deferring. Marked
// OutputBackPressure, it waits at kPendingCap while the client reads nothing, as the reader
// would, and goes on, losing nothing, once the client reads. Unmarked, a thread never waits.
void write_past_the_cap(bool marked) {
  Pipe p(4096);
  LineWriter w(p.write_end());
  const std::string line(1000, 'r');
  // Twice the cap: the background writer takes whatever is queued once, however much that is
  // when it starts, and then blocks on the full pipe; the cap must still be reached after that.
  const std::size_t lines = 2 * LineWriter::kPendingCap / (line.size() + 1) + 2000;
  auto wrote = std::async(std::launch::async, [&] {
    std::optional<OutputBackPressure> scope;
    if (marked) scope.emplace();
    for (std::size_t i = 0; i < lines; i += 64) {
      LineWriter::Burst burst(w);
      for (std::size_t j = i; j < std::min(lines, i + 64); ++j) w.write_line(line);
    }
  });
  std::size_t got = 0;
  if (marked) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (w.cap_waits() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    EXPECT_GE(w.cap_waits(), 1u) << "a marked thread queued past the cap";
  } else {
    EXPECT_EQ(wrote.wait_for(std::chrono::seconds(30)), std::future_status::ready) << "an unmarked thread waited";
    EXPECT_EQ(w.cap_waits(), 0u);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (got < lines * (line.size() + 1) && std::chrono::steady_clock::now() < deadline) {
    std::string chunk = p.drain();
    if (chunk.empty()) std::this_thread::yield();
    EXPECT_EQ(chunk.find_first_not_of("r\n"), std::string::npos);
    got += chunk.size();
  }
  // Failures above only EXPECT: the pipe must be read to the end, or the writer thread (and the
  // LineWriter's background writer) would block for ever on it.
  EXPECT_EQ(got, lines * (line.size() + 1)) << "lines lost";
  EXPECT_EQ(wrote.wait_for(std::chrono::seconds(30)), std::future_status::ready);
}

TEST(OutputBackPressure, AMarkedThreadWaitsAtTheCapForAClientThatDoesNotRead) { write_past_the_cap(true); }
TEST(OutputBackPressure, AnUnmarkedThreadNeverWaits) { write_past_the_cap(false); }

}  // namespace
}  // namespace toolgate
