// Lets a thread say "hold my output back for a moment; I will see it flushed soon", so writers
// can combine what it writes with what follows (LineWriter: many responses in one write(2);
// AuditLog: many entries in one batch). The stdin reader uses it while it still has input
// buffered, and flushes both writers before it reads again.
//
// `still` is asked at each write whether holding back is still safe on this thread (the reader
// passes ReaderBaton::reading_here: a thread whose call was taken over must not hold back,
// since nobody would flush for it). Writers that honour the deferral cap what they hold back.
#pragma once

namespace toolgate {

class OutputDeferral {
 public:
  explicit OutputDeferral(bool (*still)());
  ~OutputDeferral();
  OutputDeferral(const OutputDeferral&) = delete;
  OutputDeferral& operator=(const OutputDeferral&) = delete;

  // True inside a scope on this thread whose `still` answers true now.
  static bool active();

 private:
  bool (*was_)();
};

// Marks a thread that sends output on the reader's behalf (the audit log's writer thread sends
// the responses of the reader's batches) without deferring it. Writers may make such a thread
// wait while their peer reads nothing, as they make the deferring reader wait: a client that
// never reads is then held up through it instead of having its responses queued without bound.
class OutputBackPressure {
 public:
  OutputBackPressure();
  ~OutputBackPressure();
  OutputBackPressure(const OutputBackPressure&) = delete;
  OutputBackPressure& operator=(const OutputBackPressure&) = delete;

  // True inside such a scope on this thread, or inside an active OutputDeferral.
  static bool active();

 private:
  bool was_;
};

}  // namespace toolgate
