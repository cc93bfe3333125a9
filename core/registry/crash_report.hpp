// Plugins run in-process, so a plugin that crashes (a bad pointer, abort(), exit()) ends
// toolgate with it. What the operator can still get is one line on stderr naming the plugin and
// tool that were running on the thread that brought the process down.
//
// RunningTool marks the current thread while plugin code runs (two thread_local pointers, no
// allocation); install_crash_report() sets handlers for the fatal signals (SIGSEGV, SIGBUS,
// SIGILL, SIGFPE, SIGABRT) and an atexit hook for a plugin that calls exit(). The handler
// writes with write(2) only, then lets the signal's default action happen. It runs on an
// alternate signal stack that RunningTool gives each thread the first time it runs plugin code,
// so a stack overflow is named too. Limit: code a plugin runs on threads of its own is reported
// as "outside any plugin tool" (or not at all when it overflows the stack).
#pragma once

namespace toolgate {

class RunningTool {
 public:
  // The strings must outlive the mark (a manifest's plugin and tool names do).
  RunningTool(const char* plugin, const char* tool);
  ~RunningTool();
  RunningTool(const RunningTool&) = delete;
  RunningTool& operator=(const RunningTool&) = delete;

 private:
  const char* previous_plugin_;
  const char* previous_tool_;
};

// Call once, early in `serve`.
void install_crash_report();

}  // namespace toolgate
