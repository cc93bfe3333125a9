// The only writer of the protocol descriptor. Messages are whole lines and never interleave.
// Writers combine: a thread that finds another thread mid-write appends its line to the pending
// buffer and returns, and the writing thread flushes everything pending before it leaves. Under
// pipelined load that turns many responses into one write(2); a lone response still goes out at
// once, on the caller's thread. If the client goes away (EPIPE), the writer marks itself closed
// and drops later messages instead of dying: SIGPIPE is ignored process-wide by the app.
// Thread-safe.
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

  // Makes the constructing thread the active writer for the Burst's lifetime (unless another
  // thread is mid-write already, which then flushes for us), so every line written meanwhile, by
  // any thread, is only queued; the destructor writes them all, usually with one write(2). Used
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

  int fd_;
  std::mutex mu_;
  std::string pending_;   // lines waiting for the active writer (guarded by mu_)
  std::string writing_;   // the batch the active writer owns while it writes
  bool writer_active_ = false;
  std::atomic<bool> closed_{false};
};

}  // namespace toolgate
