#include "jobs/job_engine.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "policy/error_result.hpp"
#include "util/digest.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

const char* const kRestarted = "host restarted before the job finished";
const char* const kShutDown = "the host shut down before the job finished";

bool owns(const Principal& who, const JobRecord& job) {
  return job.tenant == who.tenant && job.subject == who.subject;
}

std::string prepare_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create the jobs state directory " + dir + ": " + ec.message());
  // Results may hold whatever tools return: only the operator's account may read them.
  if (::chmod(dir.c_str(), 0700) != 0)
    throw std::runtime_error("cannot restrict the jobs state directory " + dir + ": " + std::strerror(errno));
  return dir;
}

JobOutcome failure(const std::string& code, const std::string& message, JobStatus status = JobStatus::Failed) {
  return JobOutcome{status, error_result(code, message), code, message};
}

}  // namespace

JobEngine::JobEngine(JobsConfig config, DeadlineWatch& watch)
    : config_(std::move(config)), watch_(watch),
      lock_(std::make_unique<InstanceLock>(prepare_directory(config_.state_directory))),
      store_(std::make_unique<JobStore>(config_.state_directory)),
      pool_(std::make_unique<WorkerPool>(static_cast<std::size_t>(config_.workers), 1024)) {}

JobEngine::~JobEngine() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, timer] : deadlines_) watch_.cancel(timer);
  for (auto& [id, timer] : rechecks_) watch_.cancel(timer);
  for (auto& [id, timer] : ended_checks_) watch_.cancel(timer);
  if (sweep_timer_) watch_.cancel(*sweep_timer_);
  pool_->stop();
  // pool_ is destroyed after this body. That is safe even with a worker stuck in a plugin: the
  // pool's queue and condition variables live in state its threads share, so an idle worker
  // exits on the stop and a stuck one frees that state when its task finally returns.
}

void JobEngine::set_observer(Observer observer) {
  std::lock_guard<std::mutex> lock(mu_);
  observer_ = std::move(observer);
}

std::size_t JobEngine::recover() {
  std::size_t failed = recover_once();
  arm_sweep();
  return failed;
}

// The periodic sweep runs on the deadline watch's thread: a store that is busy (another process
// holding SQLite's write lock past the busy timeout) or full must not end the process. It is
// logged and tried again next interval.
void JobEngine::sweep() {
  try {
    recover_once();
  } catch (const std::exception& e) {
    spdlog::error("jobs: the periodic clean-up of the job store failed: {}; trying again in {} ms", e.what(),
                  config_.poll_interval_ms);
  }
  arm_sweep();
}

void JobEngine::arm_sweep() {
  std::lock_guard<std::mutex> lock(mu_);
  if (sweep_timer_) watch_.cancel(*sweep_timer_);
  sweep_timer_.reset();
  if (!stopping_)
    sweep_timer_ = watch_.add(std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.poll_interval_ms),
                              [this] { sweep(); });
}

std::size_t JobEngine::recover_once() {
  std::int64_t now = now_epoch_ms();
  std::size_t failed = 0;
  for (const std::string& owner : store_->running_owners(lock_->id())) {
    if (lock_->is_alive(owner)) continue;  // another live toolgate on this directory runs them
    for (JobRecord& rec : store_->fail_running_of(owner, error_result("host_restarted", kRestarted), "host_restarted",
                                                  kRestarted, now)) {
      ++failed;
      JobEvent ev;
      ev.job = std::move(rec);
      ev.principal.tenant = ev.job.tenant;
      ev.principal.subject = ev.job.subject;
      ev.outcome = "job_failed";
      ev.latency_ms = now - ev.job.created_ms;
      Observer observer;
      {
        std::lock_guard<std::mutex> lock(mu_);
        observer = observer_;
      }
      if (observer) observer(ev);
    }
  }
  store_->purge_expired(now);
  lock_->sweep();
  if (failed) spdlog::warn("jobs: {} job(s) were running when their toolgate process ended; marked failed", failed);
  return failed;
}

void JobEngine::arm_ended_check(const std::string& id) {
  ended_checks_[id] = watch_.add(std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.poll_interval_ms),
                                 [this, id] { check_ended_elsewhere(id); });
}

void JobEngine::check_ended_elsewhere(const std::string& id) {
  std::shared_ptr<JobRun> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_checks_.erase(id);
    if (auto it = running_.find(id); it != running_.end()) run = it->second;
  }
  if (!run) return;  // it ended here
  // Cancelled here (job_cancel, a deadline, shutdown): not news from another process.
  if (run->is_cancelled()) return;
  std::optional<JobRecord> rec;
  try {
    rec = store_->get(id, now_epoch_ms());
  } catch (const std::exception& e) {
    spdlog::error("jobs: could not look up job {}: {}", id, e.what());
  }
  if (rec && rec->status != JobStatus::Running) {
    spdlog::info("jobs: {} ({}) was ended by another toolgate process ({}); asking the plugin to stop", id,
                 rec->tool, job_status_name(rec->status));
    run->cancel();
    // The store already says how it ended: callers waiting on it (tasks/result) hear now, not
    // when the plugin gets round to returning, and its worker is replaced meanwhile.
    conclude(run, failure("cancelled", "ended by another toolgate process", JobStatus::Cancelled));
    run->lend_stand_in_if_stuck();
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (running_.count(id) && !stopping_) arm_ended_check(id);
}

JobStarted JobEngine::start(JobStart req) {
  const ToolManifest& m = *req.tool->manifest;
  JobStarted out;
  JobRecord rec;
  rec.id = random_hex(16);
  rec.tenant = req.principal.tenant;
  rec.subject = req.principal.subject;
  rec.tool = m.name;
  rec.plugin = req.tool->plugin ? req.tool->plugin->manifest().name : "toolgate";
  rec.owner = lock_->id();
  rec.created_ms = rec.updated_ms = now_epoch_ms();
  std::int64_t ttl_cap = config_.result_ttl_seconds * 1000;
  rec.ttl_ms = req.requested_ttl_ms ? std::min(std::max<std::int64_t>(*req.requested_ttl_ms, 0), ttl_cap) : ttl_cap;
  rec.traceparent = req.traceparent;
  rec.estimated_seconds = m.estimated_seconds;
  rec.as_task = req.as_task;

  auto run = std::make_shared<JobRun>(*this, rec, req.tool, req.principal, std::move(req.args),
                                      std::move(req.on_progress), req.notify_task_status, std::move(req.redaction));
  std::int64_t timeout = m.timeout_ms ? m.timeout_ms : config_.default_timeout_ms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      out.error_code = "internal";
      out.error_message = "the server is shutting down and starts no new jobs";
      return out;
    }
    std::int64_t running = 0;
    bool inserted = false;
    try {
      store_->purge_expired(rec.created_ms);
      inserted = store_->insert_if_under_cap(rec, config_.max_concurrent_per_principal, running);
    } catch (const std::exception& e) {  // busy past the timeout, full, unwritable: refuse, keep serving
      out.error_code = "internal";
      out.error_message = std::string("the job could not be recorded, so it was not started: ") + e.what();
      return out;
    }
    if (!inserted) {
      out.error_code = "job_limit";
      out.error_message = "you already have " + std::to_string(running) + " running job(s), the most this server allows (jobs.maxConcurrentPerPrincipal = " +
                          std::to_string(config_.max_concurrent_per_principal) +
                          "); wait for one to finish or cancel one with job_cancel, then try again";
      return out;
    }
    running_[rec.id] = run;
    std::string id = rec.id;
    deadlines_[id] = watch_.add(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout),
                                [this, id, timeout] { expire(id, timeout); });
    arm_ended_check(id);
  }
  if (!pool_->submit([run] { run->run(); })) {
    run->cancel();
    conclude(run, failure("internal", "the server is shutting down and starts no new jobs"));
    plugin_returned(*run, std::nullopt);
  }
  spdlog::debug("jobs: started {} ({}) for {}/{}", rec.id, rec.tool, rec.tenant, rec.subject);
  out.ok = true;
  out.job = std::move(rec);
  return out;
}

std::optional<JobRecord> JobEngine::find(const Principal& who, const std::string& id) {
  auto rec = store_->get(id, now_epoch_ms());
  if (!rec || !owns(who, *rec)) return std::nullopt;
  if (rec->status == JobStatus::Running) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = running_.find(id); it != running_.end()) it->second->progress_snapshot(*rec);
  }
  return rec;
}

JobEngine::CancelResult JobEngine::cancel(const Principal& who, const std::string& id, const std::string& why,
                                          JobRecord& job) {
  auto rec = find(who, id);
  if (!rec) return CancelResult::NotFound;
  std::shared_ptr<JobRun> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = running_.find(id); it != running_.end()) run = it->second;
  }
  JobOutcome out = failure("cancelled", why, JobStatus::Cancelled);
  bool changed = false;
  if (rec->status == JobStatus::Running) {
    if (run) {
      run->cancel();  // the plugin sees is_cancelled() from now on
      changed = conclude(run, out);
      // Its slot is free now; a plugin slow to stop must not keep a worker from the next job.
      run->lend_stand_in_if_stuck();
    } else {
      JobEvent ev;  // another process runs it (or ran it and is gone): end it in the store
      ev.job = *rec;
      ev.principal = who;
      ev.latency_ms = now_epoch_ms() - rec->created_ms;
      changed = conclude_event(std::move(ev), out);
    }
  }
  job = find(who, id).value_or(*rec);
  if (!changed) return CancelResult::AlreadyTerminal;
  job.status = JobStatus::Cancelled;  // even when a ttl of 0 makes it vanish at once
  return CancelResult::Cancelled;
}

std::vector<JobRecord> JobEngine::list(const Principal& who, std::optional<JobStatus> status, std::int64_t limit,
                                       std::int64_t offset) {
  auto jobs = store_->list(who.tenant, who.subject, status, now_epoch_ms(), limit, offset);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& j : jobs)
    if (auto it = running_.find(j.id); j.status == JobStatus::Running && it != running_.end())
      it->second->progress_snapshot(j);
  return jobs;
}

std::optional<std::vector<JobPartial>> JobEngine::partials(const Principal& who, const std::string& id,
                                                           std::int64_t after, std::int64_t limit) {
  if (!find(who, id)) return std::nullopt;
  return store_->partials(id, after, limit);
}

bool JobEngine::when_terminal(const Principal& who, const std::string& id, TerminalCallback done) {
  std::optional<JobRecord> ready;
  bool foreign = false;
  {
    std::lock_guard<std::mutex> lock(mu_);  // conclude() holds it too: no completion slips between
    auto rec = store_->get(id, now_epoch_ms());
    if (!rec || !owns(who, *rec)) return false;
    if (rec->status != JobStatus::Running) {
      ready = std::move(rec);
    } else {
      waiters_[id].push_back(std::move(done));
      foreign = !running_.count(id) && !rechecks_.count(id);
    }
  }
  if (ready) done(ready);
  if (foreign) recheck(id);
  return true;
}

void JobEngine::recheck(const std::string& id) {
  // A job another process runs finishes there; look at the store again every poll interval.
  std::optional<JobRecord> rec;
  bool looked = true;
  try {
    rec = store_->get(id, now_epoch_ms());
  } catch (const std::exception& e) {  // a busy store: look again next interval
    spdlog::error("jobs: could not look up job {}: {}", id, e.what());
    looked = false;
  }
  std::vector<TerminalCallback> waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rechecks_.erase(id);
    if (!waiters_.count(id)) return;  // already woken (e.g. cancelled from here)
    if (!looked || (rec && rec->status == JobStatus::Running)) {
      rechecks_[id] = watch_.add(std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.poll_interval_ms),
                                 [this, id] { recheck(id); });
      return;
    }
    waiters = take_waiters(id);
  }
  for (auto& w : waiters) w(rec);
}

std::vector<JobEngine::TerminalCallback> JobEngine::take_waiters(const std::string& id) {
  std::vector<TerminalCallback> out;
  if (auto it = waiters_.find(id); it != waiters_.end()) {
    out = std::move(it->second);
    waiters_.erase(it);
  }
  return out;
}

bool JobEngine::conclude(const std::shared_ptr<JobRun>& run, JobOutcome outcome) {
  JobEvent ev;
  ev.job = run->record();
  run->progress_snapshot(ev.job);
  ev.principal = run->principal();
  ev.input = run->args();
  if (const auto& p = run->tool()->plugin) {
    ev.plugin_version = p->manifest().version;
    ev.manifest_digest = p->manifest().digest;
  }
  ev.latency_ms = run->latency_ms();
  ev.notify_task_status = run->notify_task_status();
  return conclude_event(std::move(ev), std::move(outcome));
}

bool JobEngine::conclude_event(JobEvent ev, JobOutcome out) {
  std::int64_t now = now_epoch_ms();
  std::vector<TerminalCallback> waiters;
  Observer observer;
  bool ended_elsewhere = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool changed = false;
    try {
      std::optional<JobProgress> last;
      if (ev.job.progress) last = JobProgress{*ev.job.progress, ev.job.total, ev.job.progress_message};
      changed = store_->finish(ev.job.id, out.status, out.result, out.error_code, out.error_message, now, last);
    } catch (const std::exception& e) {
      spdlog::error("jobs: the end of job {} could not be saved: {}", ev.job.id, e.what());
      return false;
    }
    if (!changed) {
      // Someone got there first. Here (cancel, deadline, completion), it woke the waiters; in
      // another process (job_cancel or tasks/cancel there), nobody did: they get the job as
      // stored (below, without the lock), or a pending tasks/result would never be answered.
      waiters = take_waiters(ev.job.id);
      ended_elsewhere = true;
    } else {
      if (auto d = deadlines_.find(ev.job.id); d != deadlines_.end()) {
        watch_.cancel(d->second);
        deadlines_.erase(d);
      }
      waiters = take_waiters(ev.job.id);
      observer = observer_;
    }
  }
  if (ended_elsewhere) {
    if (waiters.empty()) return false;
    std::optional<JobRecord> stored;
    try {
      stored = store_->get(ev.job.id, now);
    } catch (const std::exception& e) {
      spdlog::error("jobs: could not look up job {}: {}", ev.job.id, e.what());
    }
    for (auto& w : waiters) w(stored);
    return false;
  }
  ev.job.status = out.status;
  ev.job.result = std::move(out.result);
  ev.job.error_code = std::move(out.error_code);
  ev.job.error_message = std::move(out.error_message);
  ev.job.finished_ms = ev.job.updated_ms = now;
  ev.outcome = out.status == JobStatus::Complete    ? "job_complete"
               : out.status == JobStatus::Cancelled ? "job_cancelled"
                                                    : "job_failed";
  if (observer) observer(ev);
  for (auto& w : waiters) w(ev.job);
  return true;
}

void JobEngine::expire(const std::string& id, std::int64_t timeout_ms) {
  std::shared_ptr<JobRun> run;
  {
    std::lock_guard<std::mutex> lock(mu_);
    deadlines_.erase(id);
    if (auto it = running_.find(id); it != running_.end()) run = it->second;
  }
  if (!run) return;
  run->cancel();
  conclude(run, failure("timeout", "the job did not finish within " + std::to_string(timeout_ms) +
                                       " ms (the tool's timeout) and was cancelled"));
  run->lend_stand_in_if_stuck();
}

void JobEngine::plugin_returned(JobRun& run, std::optional<JobOutcome> outcome) {
  std::shared_ptr<JobRun> self;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = running_.find(run.record().id); it != running_.end()) self = it->second;
  }
  // A cancelled or expired job is already terminal; then this conclude is a no-op.
  if (self && outcome) conclude(self, std::move(*outcome));
  std::lock_guard<std::mutex> lock(mu_);
  running_.erase(run.record().id);
  if (auto c = ended_checks_.find(run.record().id); c != ended_checks_.end()) {
    watch_.cancel(c->second);
    ended_checks_.erase(c);
  }
  if (running_.empty()) idle_.notify_all();
}

void JobEngine::persist_progress(const std::string& id, double progress, double total, const std::string& message) {
  try {
    store_->set_progress(id, progress, total, message, now_epoch_ms());
  } catch (const std::exception& e) {
    spdlog::error("jobs: progress of {} not saved: {}", id, e.what());
  }
}

bool JobEngine::store_partial(const std::string& id, std::int64_t seq, const std::string& data) {
  try {
    store_->add_partial(id, seq, data, now_epoch_ms());
    return true;
  } catch (const std::exception& e) {
    spdlog::error("jobs: partial result {} of {} not saved: {}", seq, id, e.what());
    return false;
  }
}

std::size_t JobEngine::shutdown(std::chrono::steady_clock::time_point deadline) {
  std::vector<std::shared_ptr<JobRun>> runs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (sweep_timer_) watch_.cancel(*sweep_timer_);
    sweep_timer_.reset();
    for (auto& [id, run] : running_) runs.push_back(run);
  }
  std::size_t ended = 0;
  for (auto& run : runs) {
    if (conclude(run, failure("host_shutdown", kShutDown))) ++ended;
    run->cancel();
  }
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait_until(lock, deadline, [&] { return running_.empty(); });
  lock_.reset();  // nothing runs here any more: other processes may clean up after us
  return ended;
}

}  // namespace toolgate
