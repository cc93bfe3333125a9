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

}  // namespace toolgate
