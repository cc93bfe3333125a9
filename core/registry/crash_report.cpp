#include "registry/crash_report.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace toolgate {

namespace {
thread_local const char* t_plugin = nullptr;
thread_local const char* t_tool = nullptr;

// A stack overflow leaves the faulting thread no stack to run the handler on, so each thread
// that runs plugin code gets an alternate signal stack the first time it does (the handler is
// installed with SA_ONSTACK). It is released when the thread ends.
class AltStack {
 public:
  static constexpr std::size_t kBytes = 64 * 1024;
  void ensure() {
    if (memory_ || checked_) return;
    checked_ = true;
    // A thread that already has one (a sanitizer's runtime sets its own) keeps it.
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE) && current.ss_size >= kBytes / 2)
      return;
    void* m = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;  // no line on overflow then, as before; nothing else changes
    stack_t ss{};
    ss.ss_sp = m;
    ss.ss_size = kBytes;
    if (::sigaltstack(&ss, nullptr) != 0) {
      ::munmap(m, kBytes);
      return;
    }
    memory_ = m;
  }
  ~AltStack() {
    if (!memory_) return;
    stack_t ss{};
    ss.ss_flags = SS_DISABLE;
    ::sigaltstack(&ss, nullptr);
    ::munmap(memory_, kBytes);
  }

 private:
  void* memory_ = nullptr;
  bool checked_ = false;
};
thread_local AltStack t_alt_stack;

void put(const char* s) {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    default: return "a fatal signal";
  }
}

void on_fatal_signal(int sig, siginfo_t* info, void*) {
  // SA_RESETHAND has restored the default action. A fault the CPU raised comes back by itself
  // when the handler returns, and the core dump then shows it where it happened; a signal sent
  // with kill or raise (si_code <= 0) would not, so it is raised again.
  put("toolgate: fatal ");
  put(signal_name(sig));
  if (t_tool) {
    put(" while plugin ");
    put(t_plugin ? t_plugin : "?");
    put(" ran ");
    put(t_tool);
    put(": plugins run inside toolgate, so the process ends with it\n");
  } else {
    put(" outside any plugin tool\n");
  }
  if (!info || info->si_code <= 0 || sig == SIGABRT) ::raise(sig);
}

void on_exit_hook(int status, void*) {
  if (!t_tool) return;
  put("toolgate: plugin ");
  put(t_plugin ? t_plugin : "?");
  put(" called exit() while it ran ");
  put(t_tool);
  put(": the process ends with it\n");
  // Now, without running static destructors under threads that still use what they destroy
  // (that can hang the process instead of ending it).
  ::_exit(status);
}
}  // namespace

RunningTool::RunningTool(const char* plugin, const char* tool) : previous_plugin_(t_plugin), previous_tool_(t_tool) {
  t_alt_stack.ensure();
  t_plugin = plugin;
  t_tool = tool;
}

RunningTool::~RunningTool() {
  t_plugin = previous_plugin_;
  t_tool = previous_tool_;
}

void install_crash_report() {
  struct sigaction sa {};
  sa.sa_sigaction = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) ::sigaction(sig, &sa, nullptr);
  ::on_exit(on_exit_hook, nullptr);
}

}  // namespace toolgate
