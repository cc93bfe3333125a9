// One job while its plugin runs: the CallSink the plugin talks to through the host API, for a
// call whose client got its answer (the job handle) long ago. Progress is kept live in memory
// (status polls in this process see every step) and written through to the store at most every
// 200 ms (polls from other processes see it soon after); partial results go to the store in
// order; client requests are refused, because nobody is waiting on the other end.
//
// Lifetime: created by JobEngine::start, shared by the engine's running table, the worker task
// and the deadline callback. Threading: the CallSink methods run on the plugin's thread; cancel(),
// progress_snapshot() and the flags are safe from any thread.
#pragma once

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "jobs/job_record.hpp"
#include "policy/response_redaction.hpp"
#include "registry/host_api.hpp"
#include "registry/tool_registry.hpp"

namespace toolgate {

class JobEngine;

// Called with each accepted progress report (e.g. to send notifications/progress for a task).
using ProgressListener =
    std::function<void(const std::string& job_id, double progress, double total, const std::string& message)>;

class JobRun : public CallSink {
 public:
  JobRun(JobEngine& engine, JobRecord record, std::shared_ptr<const ToolEntry> tool, Principal principal,
         boost::json::object args, ProgressListener on_progress, bool notify_task_status,
         std::shared_ptr<const ResponseRedaction> redaction = nullptr);

  // Runs the plugin on a worker thread, then reports the outcome to the engine.
  void run();
  void cancel() { cancelled_ = true; }
  // The deadline passed: if the plugin is still running (and may never return), the job pool
  // borrows a stand-in thread, given back when the plugin finally returns.
  void lend_stand_in_if_stuck();

  const JobRecord& record() const { return record_; }
  const std::shared_ptr<const ToolEntry>& tool() const { return tool_; }
  const boost::json::object& args() const { return args_; }
  bool notify_task_status() const { return notify_task_status_; }
  std::int64_t latency_ms() const;
  // Copies the live progress fields into `into`.
  void progress_snapshot(JobRecord& into);

  // CallSink
  void log(int level, std::string_view msg) override;
  int report_progress(double progress, double total, std::string_view msg) override;
  bool is_cancelled() override { return cancelled_.load(); }
  int emit_partial(std::string_view json) override;
  int set_result(std::string_view json) override;
  int set_error(std::string_view msg) override;
  int client_request(const std::string& method, std::string_view params_json, std::uint32_t timeout_ms,
                     std::string& reply) override;
  const Principal& principal() override { return principal_; }

 private:
  // Turns what the plugin left behind into the job's terminal state.
  void conclude(int rc, const std::string& thrown);

  JobEngine& engine_;
  const JobRecord record_;  // as created; live fields are below
  std::shared_ptr<const ToolEntry> tool_;
  Principal principal_;
  boost::json::object args_;
  ProgressListener on_progress_;
  bool notify_task_status_;
  std::shared_ptr<const ResponseRedaction> redaction_;  // null: nothing to redact
  std::chrono::steady_clock::time_point started_;

  std::atomic<bool> cancelled_{false};

  std::mutex mu_;  // guards the fields below
  bool plugin_running_ = false;
  bool stand_in_lent_ = false;
  std::optional<double> progress_;
  double total_ = 0;
  std::string progress_message_;
  std::chrono::steady_clock::time_point last_persisted_{};
  std::int64_t partials_ = 0;
  std::optional<boost::json::object> result_;
};

}  // namespace toolgate
