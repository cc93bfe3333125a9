#include "app/serve.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "app/live_policy.hpp"
#include "app/policy_tool_names.hpp"
#include "registry/crash_report.hpp"
#include "app/policy_reload.hpp"
#include "app/policy_watch.hpp"
#include "app/directory_watch.hpp"
#include "app/logging.hpp"
#include "app/plugin_command.hpp"
#include "app/plugin_reload.hpp"
#include "app/session_host.hpp"
#include "audit/audit_log.hpp"
#include "jobs/deadline_watch.hpp"
#include "jobs/job_engine.hpp"
#include "jobs/job_tools.hpp"
#include "jobs/worker_pool.hpp"
#include "protocol/server.hpp"
#include "registry/host_api.hpp"
#include "registry/tool_registry.hpp"
#include "transport/line_reader.hpp"
#include "transport/line_writer.hpp"
#include "transport/reader_baton.hpp"
#include "transport/stdout_guard.hpp"
#include "util/output_deferral.hpp"
#include "version.hpp"

namespace toolgate {

namespace {

// How long a tool call may hold up reading stdin before another thread takes reading over: ping,
// cancellation and the next calls wait at most about twice this for a call that runs long.
constexpr std::chrono::microseconds kReadingHandover{1000};
// While input keeps coming, responses and audit entries held back are written at least this
// often (in messages read); otherwise whenever the buffered input runs out.
constexpr unsigned kFlushEveryMessages = 64;
// How long the reader polls for the next message before it sleeps (see LineReader::set_spin):
// a client's next request often follows its last response within tens of microseconds.
constexpr std::chrono::microseconds kReadingSpin{50};
// At exit, how long responses still queued may take to reach a client that reads slowly.
constexpr int kResponseDrainSeconds = 30;

struct StopSignal {
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::string why;
  void request(std::string reason) {
    std::lock_guard<std::mutex> l(mu);
    if (stop) return;
    stop = true;
    why = std::move(reason);
    cv.notify_all();
  }
};

}  // namespace

int run_serve(const CliOptions& cli) {
  ::signal(SIGPIPE, SIG_IGN);
  install_crash_report();
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled, nullptr);  // inherited by every thread started below

  // Before anything can print: stdout becomes stderr, the protocol keeps the real one.
  int protocol_fd = take_over_stdout();
  if (protocol_fd < 0) {
    std::cerr << "toolgate: cannot set up the protocol descriptor\n";
    return 1;
  }
  setup_stderr_logging("info");

  std::unique_ptr<SessionHost> host;
  try {
    host = std::make_unique<SessionHost>(cli, protocol_fd);
  } catch (const SessionHostError& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }
  Config* config = &host->config();
  ToolRegistry& registry = host->registry();
  Server& server = host->server();
  JobEngine* jobs = host->jobs();
  const LoadReport& report = host->initial_load();
  LivePolicy* policy = &host->policy();

  // Reload: SIGHUP (below) and, unless turned off, whenever the policy file changes.
  PolicyReloader reloader(cli, host->credential(), *policy);
  auto reload_policy = [&](const std::string& trigger, bool force) {
    ReloadOutcome r = reloader.reload(trigger, force);
    if (r.kind == ReloadOutcome::Kind::refused) {
      spdlog::error("{}", r.message);
    } else if (r.kind == ReloadOutcome::Kind::applied) {
      setup_stderr_logging(policy->current()->config().server.log_level);
      spdlog::info("{}", r.message);
      for (const auto& w : unknown_policy_tools(policy->current()->config(), *host->registry().snapshot()))
        spdlog::warn("policy: {}", w);
      server.notify_tools_changed();  // scopes and tenant lists may show a different set now
    } else {
      spdlog::debug("{}", r.message);
    }
  };
  if (!config->file.empty() && config->server.watch_policy_file) {
    std::string watch_error;
    if (!watch_policy_file(config->file, [&] { reload_policy("file change", false); }, watch_error))
      spdlog::warn("policy file changes will not be noticed ({}); send SIGHUP to reload", watch_error);
  }

  StopSignal stop;
  PluginReloader plugin_reloader(registry, server);
  plugin_reloader.already_reported(report);
  std::thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&handled, &sig) != 0) continue;
      if (sig == SIGHUP) {
        // Plugins first: a client told the list changed then finds the new plugins in it.
        plugin_reloader.reload("SIGHUP", false);
        if (!config->file.empty()) reload_policy("SIGHUP", true);
        continue;
      }
      stop.request(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  }).detach();

  // Drop-in plugins: a library and manifest copied in (or removed) while serving take effect
  // once the directory has been quiet for a moment; a half-copied library fails its sha256
  // check and is tried again on the next event.
  std::unique_ptr<DirectoryWatch> plugin_watch;
  if (config->server.watch_plugins) {
    std::vector<std::string> dirs{config->server.plugin_dir};
    if (!config->server.manifest_dir.empty() && config->server.manifest_dir != config->server.plugin_dir)
      dirs.push_back(config->server.manifest_dir);
    try {
      plugin_watch = std::make_unique<DirectoryWatch>(dirs, std::chrono::milliseconds(200),
                                                      [&] { plugin_reloader.reload("plugin directory changed", true); });
      spdlog::info("watching {} for plugins dropped in, replaced or removed", dirs.front());
    } catch (const std::exception& e) {
      spdlog::warn("plugins are not watched ({}); send SIGHUP to reload them", e.what());
    }
  } else {
    spdlog::info("plugins.watch is false: plugins change only on SIGHUP");
  }

  // Reading stdin: the thread that reads a tool call runs it itself (see ReaderBaton); a call
  // still running after a tick or two hands reading over to a fresh thread.
  std::size_t max_bytes = config->server.max_message_bytes;
  // Audit entries first: writing them runs their calls' continuations, which queue responses.
  auto flush_held_back = [&] {
    AuditLog::flush_all_deferred();
    host->writer().flush();
  };
  LineReader reader(STDIN_FILENO, max_bytes);
  ReaderBaton baton(
      [&] {
        thread_local std::string line;
        OutputDeferral defer(&ReaderBaton::reading_here);
        auto ev = reader.next(line);
        if (ev == LineReader::Event::Line) {
          server.handle_line(line);
          // Between messages, with the baton in hand: a flush here cannot look like a stuck
          // call to the stand-by, as one inside a call would.
          thread_local unsigned since_flush = 0;
          if (++since_flush == kFlushEveryMessages) {
            since_flush = 0;
            flush_held_back();
          }
        } else if (ev == LineReader::Event::Oversized) {
          server.handle_oversized(max_bytes);
        } else {
          stop.request(ev == LineReader::Event::Eof ? "stdin closed" : "stdin read error");
          return false;
        }
        return true;
      },
      kReadingHandover, config->server.workers, flush_held_back);
  reader.set_before_read(flush_held_back);
  reader.set_spin(kReadingSpin);
  baton.start();

  {
    std::unique_lock<std::mutex> l(stop.mu);
    stop.cv.wait(l, [&] { return stop.stop; });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config->server.shutdown_grace_ms);
  std::size_t ended = server.drain(deadline);
  if (jobs) ended += jobs->shutdown(deadline);
  // Calls ended just now queued their audit entries without waiting: none may be lost.
  // Every log, not only the current policy's: a call answered from the stdin reader is let go
  // before its entry is written (ToolCall::finish), so drain() does not wait for it.
  if (!AuditLog::wait_all_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)))
    spdlog::error("audit: entries were still pending at exit");
  spdlog::info("shutting down ({}){}", stop.why,
               ended ? ", ended " + std::to_string(ended) + " call(s) still running after the grace period" : "");
  // Every response the calls above produced goes out before the process ends, however slowly
  // the client reads; _Exit below would drop what is still queued.
  if (!host->writer().drain(std::chrono::steady_clock::now() + std::chrono::seconds(kResponseDrainSeconds)))
    spdlog::error("responses were still unwritten after {} s at exit: the client stopped reading stdout",
                  kResponseDrainSeconds);
  spdlog::default_logger()->flush();
  // Threads stuck in plugins cannot be joined; leave without running destructors under them.
  std::_Exit(0);
}

}  // namespace toolgate
