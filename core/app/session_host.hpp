// Everything one MCP session is served with, built from the policy exactly as `serve` builds
// it: configuration and command-line overrides, the caller's credential, the policy pipeline
// (identity, scopes, rate limits, consent, audit), plugin trust, jobs, the tool registry, the
// worker pool and the protocol engine writing to `protocol_fd`. `serve` feeds it stdin; the
// terminal commands (`toolgate tools`, `toolgate call`) feed it their own requests in-process,
// so a call from a terminal takes the same path as a call from Claude Code.
#pragma once

#include <memory>
#include <string>

#include "app/live_policy.hpp"
#include "app/cli.hpp"
#include "jobs/deadline_watch.hpp"
#include "jobs/job_engine.hpp"
#include "jobs/worker_pool.hpp"
#include "protocol/server.hpp"
#include "registry/tool_registry.hpp"
#include "transport/line_writer.hpp"

namespace toolgate {

class SessionHost {
 public:
  // Builds everything or throws SessionHostError with the readable reason. The caller's API key
  // or JWT is taken from the environment here (see take_credential). Logs the plugin load.
  SessionHost(const CliOptions& cli, int protocol_fd);
  ~SessionHost();

  Config& config() { return *config_; }
  ToolRegistry& registry() { return *registry_; }
  Server& server() { return *server_; }
  LineWriter& writer() { return *writer_; }
  JobEngine* jobs() { return jobs_.get(); }
  DeadlineWatch& watch() { return watch_; }
  const LoadReport& initial_load() const { return initial_load_; }
  // The policy in force, replaceable by a reload; the credential a reload authenticates with.
  LivePolicy& policy() { return *policy_; }
  const std::string& credential() const { return credential_; }

 private:
  std::unique_ptr<Config> config_;
  std::string credential_;
  std::unique_ptr<LivePolicy> policy_;
  DeadlineWatch watch_;
  std::unique_ptr<JobEngine> jobs_;
  std::unique_ptr<ToolRegistry> registry_;
  LoadReport initial_load_;
  std::unique_ptr<LineWriter> writer_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<Server> server_;
};

class SessionHostError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The credential variable (identity.tokenEnv, default TOOLGATE_TOKEN) is read once and removed
// from the environment, so plugins (which share the process) cannot read it with getenv.
std::string take_credential(const Config& config);

}  // namespace toolgate
