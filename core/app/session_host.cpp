#include "app/session_host.hpp"
#include "app/policy_tool_names.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "app/definition_audit.hpp"
#include "app/logging.hpp"
#include "app/plugin_command.hpp"
#include "jobs/job_tools.hpp"
#include "registry/host_api.hpp"
#include "version.hpp"

namespace toolgate {

std::string take_credential(const Config& config) {
  std::string var = "TOOLGATE_TOKEN";
  if (auto* id = config.raw.if_contains("identity"); id && id->is_object())
    if (auto* v = id->get_object().if_contains("tokenEnv"); v && v->is_string()) var = v->get_string();
  const char* value = std::getenv(var.c_str());
  std::string out = value ? value : "";
  ::unsetenv(var.c_str());
  return out;
}

SessionHost::SessionHost(const CliOptions& cli, int protocol_fd) {
  JsonErrors errors;
  auto config = effective_config(cli, errors);
  if (!config) throw SessionHostError("configuration is invalid; refusing to start:\n  " + errors.joined("\n  "));
  config_ = std::make_unique<Config>(std::move(*config));
  setup_stderr_logging(config_->server.log_level);
  credential_ = take_credential(*config_);
  scrub_credential_from_logs(credential_);

  try {
    policy_ = std::make_unique<LivePolicy>(std::make_shared<AppPolicy>(*config_, credential_));
  } catch (const std::exception& e) {
    throw SessionHostError(std::string("policy cannot be applied; refusing to start: ") + e.what());
  }

  // Before anything starts threads: bad trust settings stop the server outright.
  JsonErrors trust_errors;
  auto registry_opts = registry_options(*config_, true, trust_errors);
  if (!registry_opts)
    throw SessionHostError("plugin trust settings are invalid; refusing to start:\n  " + trust_errors.joined("\n  "));

  // Jobs: a state directory the policy names must open; the default one only disables jobs.
  std::string jobs_unavailable;
  try {
    jobs_ = std::make_unique<JobEngine>(config_->jobs, watch_);
  } catch (const std::exception& e) {
    if (config_->jobs.state_directory_explicit)
      throw SessionHostError(std::string("jobs.stateDirectory: ") + e.what() + "; refusing to start");
    jobs_unavailable = e.what();
    spdlog::error("jobs are disabled: {} (set jobs.stateDirectory in the policy file)", jobs_unavailable);
  }

  registry_ = std::make_unique<ToolRegistry>(*registry_opts);
  registry_->set_builtins(make_job_tools(jobs_.get(), jobs_unavailable));
  // Rug pulls found by this and every later reload go into the audit trail, like calls.
  registry_->set_definition_change_listener(audit_definition_changes(*policy_));
  initial_load_ = registry_->reload(host_api_table());
  for (const auto& e : initial_load_.errors) spdlog::error("{}", e);
  for (const auto& w : initial_load_.warnings) spdlog::warn("{}", w);
  for (const auto& w : unknown_policy_tools(*config_, *registry_->snapshot())) spdlog::warn("policy: {}", w);
  spdlog::info("toolgate {} serving {} plugin(s) from {}: {}", kToolgateVersion, initial_load_.loaded.size(),
               config_->server.plugin_dir, initial_load_.loaded.empty() ? std::string("none") : [&] {
                 std::string s;
                 for (const auto& l : initial_load_.loaded) s += (s.empty() ? "" : ", ") + l;
                 return s;
               }());

  writer_ = std::make_unique<LineWriter>(protocol_fd);
  pool_ = std::make_unique<WorkerPool>(config_->server.workers, 4096);
  ServerOptions opts;
  opts.server_version = kToolgateVersion;
  opts.instructions = config_->server.instructions;
  opts.page_size = config_->server.tools_page_size;
  opts.default_timeout_ms = config_->server.default_timeout_ms;
  opts.client_request_timeout_ms = config_->server.client_request_timeout_ms;
  opts.consent_timeout_ms = config_->consent.timeout_ms;
  if (!config_->consent.state_key_file.empty()) {
    JsonErrors key_errors;
    auto key = read_file(config_->consent.state_key_file, key_errors);
    if (!key || key->size() < 32)
      throw SessionHostError("consent.stateKeyFile " + config_->consent.state_key_file + ": " +
                             (key ? "the key must be at least 32 bytes" : key_errors.joined()));
    opts.request_state_key = *key;
    // Every process holding that key can open a token: they record used ones in the state
    // directory they share (the jobs' one), so a token is accepted once among all of them.
    if (config_->jobs.state_directory.empty())
      spdlog::warn("consent.stateKeyFile is set but jobs.stateDirectory is not: each process remembers only the "
                   "requestStates it accepted itself, so another process sharing the key could accept one again");
    else
      opts.request_state_spent_dir = config_->jobs.state_directory + "/consent-spent";
  }
  server_ = std::make_unique<Server>(opts, *writer_, *registry_, *pool_, watch_, *policy_);
  server_->set_jobs(jobs_.get(), jobs_unavailable);
  try {
    if (jobs_) jobs_->recover();  // after set_jobs, so jobs failed by a restart are audited
  } catch (const std::exception& e) {
    spdlog::error("jobs: recovering jobs of ended processes failed: {}", e.what());
  }
}

SessionHost::~SessionHost() = default;

}  // namespace toolgate
