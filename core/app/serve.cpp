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

#include "app/app_policy.hpp"
#include "app/definition_audit.hpp"
#include "app/logging.hpp"
#include "app/plugin_command.hpp"
#include "jobs/deadline_watch.hpp"
#include "jobs/job_engine.hpp"
#include "jobs/job_tools.hpp"
#include "jobs/worker_pool.hpp"
#include "protocol/server.hpp"
#include "registry/host_api.hpp"
#include "registry/tool_registry.hpp"
#include "transport/line_reader.hpp"
#include "transport/line_writer.hpp"
#include "transport/stdout_guard.hpp"
#include "version.hpp"

namespace toolgate {

namespace {

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

// The credential is read once and removed from the environment, so plugins (which share the
// process) cannot read it with getenv: they get the principal, never the secret.
std::string take_credential(const Config& config) {
  std::string var = "TOOLGATE_TOKEN";
  if (auto* id = config.raw.if_contains("identity"); id && id->is_object())
    if (auto* v = id->get_object().if_contains("tokenEnv"); v && v->is_string()) var = v->get_string();
  const char* value = std::getenv(var.c_str());
  std::string out = value ? value : "";
  ::unsetenv(var.c_str());
  return out;
}

}  // namespace

int run_serve(const CliOptions& cli) {
  ::signal(SIGPIPE, SIG_IGN);
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

  JsonErrors errors;
  auto config = effective_config(cli, errors);
  if (!config) {
    spdlog::critical("configuration is invalid; refusing to start:\n  {}", errors.joined("\n  "));
    return 2;
  }
  setup_stderr_logging(config->server.log_level);
  std::string credential = take_credential(*config);

  std::unique_ptr<AppPolicy> policy;
  try {
    policy = std::make_unique<AppPolicy>(*config, credential);
  } catch (const std::exception& e) {
    spdlog::critical("policy cannot be applied; refusing to start: {}", e.what());
    return 2;
  }

  // Before anything starts threads: bad trust settings stop the server outright.
  JsonErrors trust_errors;
  auto registry_opts = registry_options(*config, true, trust_errors);
  if (!registry_opts) {
    spdlog::critical("plugin trust settings are invalid; refusing to start:\n  {}", trust_errors.joined("\n  "));
    return 2;
  }

  // Jobs: a state directory the policy names must open; the default one only disables jobs.
  DeadlineWatch watch;
  std::unique_ptr<JobEngine> jobs;
  std::string jobs_unavailable;
  try {
    jobs = std::make_unique<JobEngine>(config->jobs, watch);
  } catch (const std::exception& e) {
    if (config->jobs.state_directory_explicit) {
      spdlog::critical("jobs.stateDirectory: {}; refusing to start", e.what());
      return 2;
    }
    jobs_unavailable = e.what();
    spdlog::error("jobs are disabled: {} (set jobs.stateDirectory in the policy file)", jobs_unavailable);
  }

  ToolRegistry registry(*registry_opts);
  registry.set_builtins(make_job_tools(jobs.get(), jobs_unavailable));
  // Rug pulls found by this and every later reload go into the audit trail, like calls.
  registry.set_definition_change_listener(audit_definition_changes(*policy));
  LoadReport report = registry.reload(host_api_table());
  for (const auto& e : report.errors) spdlog::error("{}", e);
  for (const auto& w : report.warnings) spdlog::warn("{}", w);
  spdlog::info("toolgate {} serving {} plugin(s) from {}: {}", kToolgateVersion, report.loaded.size(),
               config->server.plugin_dir, report.loaded.empty() ? std::string("none") : [&] {
                 std::string s;
                 for (const auto& l : report.loaded) s += (s.empty() ? "" : ", ") + l;
                 return s;
               }());

  LineWriter writer(protocol_fd);
  WorkerPool pool(config->server.workers, 4096);
  ServerOptions opts;
  opts.server_version = kToolgateVersion;
  opts.instructions = config->server.instructions;
  opts.page_size = config->server.tools_page_size;
  opts.default_timeout_ms = config->server.default_timeout_ms;
  opts.client_request_timeout_ms = config->server.client_request_timeout_ms;
  opts.consent_timeout_ms = config->consent.timeout_ms;
  if (!config->consent.state_key_file.empty()) {
    JsonErrors key_errors;
    auto key = read_file(config->consent.state_key_file, key_errors);
    if (!key || key->size() < 32) {
      spdlog::critical("consent.stateKeyFile {}: {}", config->consent.state_key_file,
                       key ? "the key must be at least 32 bytes" : key_errors.joined());
      return 2;
    }
    opts.request_state_key = *key;
  }
  Server server(opts, writer, registry, pool, watch, *policy);
  server.set_jobs(jobs.get(), jobs_unavailable);
  try {
    if (jobs) jobs->recover();  // after set_jobs, so jobs failed by a restart are audited
  } catch (const std::exception& e) {
    spdlog::error("jobs: recovering jobs of ended processes failed: {}", e.what());
  }

  StopSignal stop;
  std::thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&handled, &sig) != 0) continue;
      if (sig == SIGHUP) {
        spdlog::info("SIGHUP: reloading plugins");
        LoadReport r = registry.reload(host_api_table());
        for (const auto& e : r.errors) spdlog::error("{}", e);
        for (const auto& w : r.warnings) spdlog::warn("{}", w);
        server.notify_tools_changed();
        continue;
      }
      stop.request(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
  }).detach();

  std::size_t max_bytes = config->server.max_message_bytes;
  std::thread([&] {
    LineReader reader(STDIN_FILENO, max_bytes);
    std::string line;
    for (;;) {
      auto ev = reader.next(line);
      if (ev == LineReader::Event::Line) {
        server.handle_line(line);
      } else if (ev == LineReader::Event::Oversized) {
        server.handle_oversized(max_bytes);
      } else {
        stop.request(ev == LineReader::Event::Eof ? "stdin closed" : "stdin read error");
        return;
      }
    }
  }).detach();

  {
    std::unique_lock<std::mutex> l(stop.mu);
    stop.cv.wait(l, [&] { return stop.stop; });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config->server.shutdown_grace_ms);
  std::size_t ended = server.drain(deadline);
  if (jobs) ended += jobs->shutdown(deadline);
  spdlog::info("shutting down ({}){}", stop.why,
               ended ? ", ended " + std::to_string(ended) + " call(s) still running after the grace period" : "");
  spdlog::default_logger()->flush();
  // Threads stuck in plugins cannot be joined; leave without running destructors under them.
  std::_Exit(0);
}

}  // namespace toolgate
