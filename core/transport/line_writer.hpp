// The only writer of the protocol descriptor. Messages are whole lines and never interleave.
// Writers combine: a thread that finds another thread mid-write appends its line to the pending
// buffer and returns, and the writing thread flushes everything pending before it leaves. Under
// pipelined load that turns many responses into one write(2); a lone response still goes out at
// once, on the caller's thread. If the client goes away (EPIPE), the writer marks itself closed
// and drops later messages instead of dying: SIGPIPE is ignored process-wide by the app.
//
// The stdin reader must never block on stdout: a client that writes a long burst before it
// reads any response would have its own write blocked on a full stdin pipe while our reader was
// blocked on a full stdout pipe. So flush(), and anything written inside an OutputDeferral
// scope, writes only what the descriptor takes now: pwritev2(RWF_NOWAIT) where the kernel
// supports it, else PIPE_BUF at a time while poll(2) says there is room. It hands the rest to a
// background writer thread that may block. Past kPendingCap bytes queued, a
// deferring writer waits (back-pressure on a client that does not read at all).
// Thread-safe. Destroy it only once nothing more will be written and the peer reads or is gone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace toolgate {

class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Appends '\n' and writes. Returns false once the peer is gone.
  bool write_line(std::string_view message);
  bool closed() const { return closed_.load(); }

  // Lines written by a thread inside an OutputDeferral scope are only queued, up to kDeferLimit
  // bytes, until flush() or another thread's write_line sends them.
  static constexpr std::size_t kDeferLimit = 64 * 1024;
  static constexpr std::size_t kPendingCap = 16 * 1024 * 1024;
  // How often a writer waited at kPendingCap for a client that reads nothing. Only the deferring
  // reader and threads marked OutputBackPressure wait; others queue past the cap.
  std::uint64_t cap_waits() const { return cap_waits_.load(); }
  // Makes non-blocking writes poll and write PIPE_BUF at a time, as on kernels without
  // pwritev2(RWF_NOWAIT) for pipes (which the writer detects by itself); for tests.
  void force_poll_writes() { nowait_works_ = false; }
  // Sends whatever is queued without blocking (unless another thread is mid-write: it sends it
  // on its way out); what the descriptor does not take now goes to the background writer.
  void flush();

  // Shutdown: sends everything queued and waits until it is written (by the background writer
  // if the client reads slowly) or until `deadline`. True when nothing is left unwritten, also
  // when the peer is gone. Call once no thread writes any more.
  bool drain(std::chrono::steady_clock::time_point deadline);

  // Makes the constructing thread the active writer for the Burst's lifetime (unless another
  // thread is mid-write already, which then flushes for us), so every line written meanwhile, by
  // any thread, is only queued; the destructor writes them all, usually with one write(2), and
  // what the descriptor does not take at once goes to the background writer. Used
  // when one thread sends many responses back to back (an audit batch's continuations). Keep
  // it short: other threads' lines wait for it.
  class Burst {
   public:
    explicit Burst(LineWriter& w);
    ~Burst();
    Burst(const Burst&) = delete;
    Burst& operator=(const Burst&) = delete;

   private:
    LineWriter& w_;
    bool owner_ = false;
  };

 private:
  // Writes pending_ until it stays empty, then gives up the writer role; mu_ held on entry and
  // exit, released around each write(2).
  void drain_as_writer(std::unique_lock<std::mutex>& lock);
  // The same, but never blocks: stops when the descriptor is full and passes the writer role,
  // with whatever is left, to the background writer (started on first need).
  void drain_without_blocking(std::unique_lock<std::mutex>& lock);
  void background_loop();

  int fd_;
  std::mutex mu_;
  std::string pending_;   // lines waiting for the active writer (guarded by mu_)
  std::string writing_;   // the batch the active writer owns while it writes
  bool writer_active_ = false;
  std::condition_variable background_cv_;  // background_wanted_ or stopping_
  std::condition_variable drained_;        // pending_ shrank (for writers over kPendingCap)
  bool background_wanted_ = false;
  bool background_active_ = false;  // the background writer holds the writer role
  bool stopping_ = false;
  std::thread background_;
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> cap_waits_{0};
  std::atomic<bool> nowait_works_{true};  // pwritev2(RWF_NOWAIT) is supported on fd_
};

}  // namespace toolgate
