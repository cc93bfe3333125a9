// AuditLog's hand-off between the stdin reader and the log's writer thread: entries a deferring
// reader holds back, the flush that queues them and either writes them or hands them to the
// writer thread, that thread's loop, back-pressure on the reader, the registry of logs the reader
// flushes together, and waiting for all of it at shutdown. Split from audit_log.cpp, which
// queues and writes batches.
#include "audit/audit_log.hpp"

#include "util/output_deferral.hpp"

#include <limits>
#include <system_error>
#include <thread>

namespace toolgate {

thread_local bool AuditLog::on_writer_thread_ = false;

namespace {
std::mutex g_tracked_mu;
std::vector<std::weak_ptr<AuditLog>> g_tracked;

// The tracked logs still alive, to be used without the registry's lock: a continuation may drop
// the last reference to a log.
std::vector<std::shared_ptr<AuditLog>> tracked_logs() {
  std::vector<std::shared_ptr<AuditLog>> logs;
  std::lock_guard l(g_tracked_mu);
  for (const auto& w : g_tracked)
    if (auto log = w.lock()) logs.push_back(std::move(log));
  return logs;
}
}  // namespace

void AuditLog::track(const std::shared_ptr<AuditLog>& log) {
  std::lock_guard l(g_tracked_mu);
  std::erase_if(g_tracked, [](const std::weak_ptr<AuditLog>& w) { return w.expired(); });
  g_tracked.push_back(log);
}

bool AuditLog::wait_all_idle(std::chrono::steady_clock::time_point deadline) {
  bool idle = true;
  for (const auto& log : tracked_logs()) idle = log->wait_idle(deadline) && idle;
  return idle;
}

void AuditLog::flush_all_deferred() {
  for (const auto& log : tracked_logs()) log->flush_deferred();
}

// A small batch (a client waiting for one response) is written here and now: handing it over
// would add a thread wake-up to every round trip. A larger one goes to the writer thread, so
// that hashing, writing and rendering the responses overlap with the reader running the next
// calls on another core; only the batch crosses threads, and it comes back to be freed.
void AuditLog::flush_deferred() { flush_held(true); }

void AuditLog::queue_held() {
  std::lock_guard h(held_mu_);
  queue_.insert(queue_.end(), held_.begin(), held_.end());
  async_pending_ += held_.size();
  held_.clear();
}

void AuditLog::flush_held(bool may_wait) {
  std::vector<Pending*> finished;
  bool write_here = false;
  {
    std::unique_lock q(queue_mu_);
    // Back-pressure on the reader (the only thread that defers): while the writer thread is held
    // up (by a client that reads none of its responses), it stops here instead of queueing
    // without bound. Only for the writer thread, which waits at LineWriter's cap as the reader
    // would: a worker lent the writer role blocks in write(2) instead, as it always has.
    auto held_up = [&] { return queue_.size() >= kMaxQueuedEntries && writer_thread_writing_; };
    if (may_wait && OutputDeferral::active() && held_up()) {
      back_pressure_waits_.fetch_add(1);
      taken_.wait(q, [&] { return !held_up(); });
    }
    finished.swap(recycle_);
    queue_held();
    if (!queue_.empty() && !async_writer_) {  // else nothing is held back, or a writer takes it anyway
      async_writer_ = true;
      if (queue_.size() >= kHandOffEntries && start_writer_thread()) {
        writer_wanted_ = writer_thread_writing_ = true;
        writer_cv_.notify_one();
      } else {
        write_here = true;
      }
    }
  }
  free_all(finished);
  if (write_here) write_queued(lent_rounds_);
}

std::size_t AuditLog::held_back() const {
  std::lock_guard h(held_mu_);
  return held_.size();
}

// queue_mu_ held. False when no thread can be had (the caller then writes the batch itself).
bool AuditLog::start_writer_thread() {
  if (writer_thread_.joinable()) return true;
  try {
    writer_thread_ = std::thread([this] { writer_loop(); });
    return true;
  } catch (const std::system_error&) {
    return false;
  }
}

void AuditLog::writer_loop() {
  on_writer_thread_ = true;
  // Sends the responses of the reader's batches on its behalf: past LineWriter's cap it waits
  // for a client that reads nothing, and the reader then waits for it (flush_deferred).
  OutputBackPressure back_pressure;
  std::unique_lock q(queue_mu_);
  for (;;) {
    writer_cv_.wait(q, [&] { return writer_wanted_ || writer_stopping_; });
    if (!writer_wanted_) return;
    writer_wanted_ = false;
    q.unlock();
    write_queued(std::numeric_limits<std::size_t>::max());  // async_writer_ was set for it
    q.lock();
    writer_thread_writing_ = false;
    taken_.notify_all();
  }
}

bool AuditLog::wait_idle(std::chrono::steady_clock::time_point deadline) {
  // Entries a reader holds back are not pending until a flush queues them: flush, wait, and go
  // round again if more were held meanwhile (a reader still running calls at shutdown).
  for (;;) {
    flush_deferred();
    {
      std::unique_lock q(queue_mu_);
      auto idle = [&] { return async_pending_ == 0 && !async_writer_; };
      if (deadline == std::chrono::steady_clock::time_point::max())  // wait_until(max) may overflow
        idle_.wait(q, idle);
      else if (!idle_.wait_until(q, deadline, idle))
        return false;
    }
    if (held_back() == 0) return true;
  }
}

}  // namespace toolgate
