// The job engine: runs long-running tool calls in the background and answers questions about
// them. A job is started by the protocol layer after the call passed the whole policy pipeline
// (the start is that call's audit record); the engine persists it (JobStore), runs the plugin on
// its own worker pool under a JobRun, enforces the job's deadline (the tool's timeoutMs, else
// jobs.defaultTimeoutMs) and the per-principal concurrency cap, and reports every terminal
// transition (complete, failed, cancelled) to one observer, which audits it and notifies task
// clients. The job tools and the MCP tasks methods are two views of this one engine.
//
// Isolation: every lookup takes the caller's principal; a job of another tenant or subject is
// reported exactly like one that never existed (nullopt / NotFound).
// Jobs have their own pool so a burst of long jobs cannot starve plain calls, ping and polls.
// Lifetime: one per process, created before the server and outliving it; shutdown() ends what
// still runs. Thread-safe. Store failures surface as std::runtime_error from the query methods.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "jobs/deadline_watch.hpp"
#include "jobs/instance_lock.hpp"
#include "jobs/job_record.hpp"
#include "jobs/job_run.hpp"
#include "jobs/job_store.hpp"
#include "jobs/worker_pool.hpp"

namespace toolgate {

struct JobStart {
  std::shared_ptr<const ToolEntry> tool;
  Principal principal;
  boost::json::object args;
  std::string traceparent;
  bool as_task = false;
  bool notify_task_status = false;
  std::optional<std::int64_t> requested_ttl_ms;  // a task's params.task.ttl; capped by the policy
  ProgressListener on_progress;                  // may be empty
  // The policy's response redaction when the job started (null: none), applied to the job's
  // partial results and its result before they are stored.
  std::shared_ptr<const ResponseRedaction> redaction;
};

struct JobStarted {
  bool ok = false;
  JobRecord job;
  std::string error_code;  // job_limit, internal
  std::string error_message;
};

// How a plugin's run ended, as JobRun judged it.
struct JobOutcome {
  JobStatus status = JobStatus::Failed;
  boost::json::object result;
  std::string error_code;
  std::string error_message;
};

class JobEngine {
 public:
  using Observer = std::function<void(const JobEvent&)>;
  using TerminalCallback = std::function<void(const std::optional<JobRecord>&)>;
  enum class CancelResult { NotFound, AlreadyTerminal, Cancelled };

  // Creates the state directory (0700), opens the store and locks this instance. Throws
  // std::runtime_error naming the directory or file.
  JobEngine(JobsConfig config, DeadlineWatch& watch);
  ~JobEngine();

  const JobsConfig& config() const { return config_; }
  void set_observer(Observer observer);
  // Fails jobs whose process died while running them ("host restarted"), reporting each to the
  // observer, and purges expired jobs. Returns how many were failed. Called at start-up, it then
  // runs again every poll interval: another process on the same state directory may die while
  // this one serves, and its jobs must not stay "running" (and hold their owners' job slots).
  std::size_t recover();

  JobStarted start(JobStart request);
  std::optional<JobRecord> find(const Principal& who, const std::string& id);
  CancelResult cancel(const Principal& who, const std::string& id, const std::string& why, JobRecord& job);
  std::vector<JobRecord> list(const Principal& who, std::optional<JobStatus> status, std::int64_t limit,
                              std::int64_t offset);
  std::optional<std::vector<JobPartial>> partials(const Principal& who, const std::string& id, std::int64_t after,
                                                  std::int64_t limit);
  // Calls `done` once the job is terminal (at once if it is; nullopt if it expired or vanished
  // meanwhile). False, without calling, when the caller cannot see the job.
  bool when_terminal(const Principal& who, const std::string& id, TerminalCallback done);
  // Fails every running job ("the host shut down"), tells plugins to stop and waits for them
  // until `deadline`. Returns how many jobs it ended.
  std::size_t shutdown(std::chrono::steady_clock::time_point deadline);

  // Used by JobRun.
  void plugin_returned(JobRun& run, std::optional<JobOutcome> outcome);
  void persist_progress(const std::string& id, double progress, double total, const std::string& message);
  bool store_partial(const std::string& id, std::int64_t seq, const std::string& data);
  WorkerPool& pool() { return *pool_; }

 private:
  // running -> terminal for a job this process runs; false when it was already terminal.
  bool conclude(const std::shared_ptr<JobRun>& run, JobOutcome outcome);
  // Writes the transition, then tells the observer and the waiters. Used for jobs without a
  // JobRun here too (another process's).
  bool conclude_event(JobEvent event, JobOutcome outcome);
  void expire(const std::string& id, std::int64_t timeout_ms);
  // recover() without arming the next sweep; throws what the store throws.
  std::size_t recover_once();
  // The periodic recover_once(), which logs store errors instead of throwing, then re-arms.
  void sweep();
  void arm_sweep();
  void recheck(const std::string& id);
  // For a job this process runs: when the store says it ended (job_cancel in another process),
  // the plugin is told to stop. Re-armed every poll interval while the job runs here.
  void check_ended_elsewhere(const std::string& id);
  void arm_ended_check(const std::string& id);  // with mu_ held
  std::vector<TerminalCallback> take_waiters(const std::string& id);  // with mu_ held

  JobsConfig config_;
  DeadlineWatch& watch_;
  std::unique_ptr<InstanceLock> lock_;
  std::unique_ptr<JobStore> store_;
  // Stopped and destroyed by ~JobEngine; its detached threads, possibly stuck in plugins for good,
  // keep only the pool's shared state alive (worker_pool.hpp), never the engine's.
  std::unique_ptr<WorkerPool> pool_;

  std::mutex mu_;  // guards the fields below; held across store calls that must not interleave
  Observer observer_;
  std::unordered_map<std::string, std::shared_ptr<JobRun>> running_;
  std::unordered_map<std::string, std::uint64_t> deadlines_;
  std::unordered_map<std::string, std::uint64_t> rechecks_;  // timers looking at other processes' jobs
  std::unordered_map<std::string, std::uint64_t> ended_checks_;  // timers looking at this process's jobs
  std::optional<std::uint64_t> sweep_timer_;  // the next sweep()
  std::unordered_map<std::string, std::vector<TerminalCallback>> waiters_;
  std::condition_variable idle_;
  bool stopping_ = false;
};

}  // namespace toolgate
