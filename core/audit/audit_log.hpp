// The audit trail writer: one AuditLog per process, shared by every worker thread. append()
// redacts the entry's input, links it into the hash chain (chain.hpp), writes it as one JSON
// line to DIR/audit.jsonl (rotating, rotating_sink.hpp), flushes it to the file before
// returning (fsync too when configured) and copies it to the configured taps.
//
// Failure policy. If the entry cannot be written (disk full, permission, directory gone),
// append() returns false and last_error() says why: with failMode "closed" (the default) the
// caller must refuse the call. The condition is logged once to stderr (spdlog default logger),
// not per call; every later append() retries from scratch (recreating the directory, reopening
// the file), so the log heals by itself when the disk does, and logs that it did. With failMode
// "open" append() still returns true, the entry is lost and counted (failed_appends()).
// An entry whose write failed part-way leaves a torn line; the next successful open terminates
// it and writes an `audit_recovered` entry that commits to the torn bytes' SHA-256, which
// `audit verify` accepts. If the audit files vanish while running, the chain continues from the
// last hash in memory after an `audit_recovered` entry with errorCode "files_missing".
//
// Group commit: concurrent append() calls queue their entries; whichever thread gets to write
// takes the whole queue and writes it as one block with one write(2) (and one fsync), then
// every caller in the batch returns. Each entry is still in the file before its own append() returns. If the
// batch's write fails, every entry in it is refused.
// append_then() is the same without waiting: the caller queues its entry and moves on, and the
// thread that writes the batch holding it (the one "async writer", which keeps writing while
// entries keep coming, or a synchronous appender that takes the queue) runs the entry's
// continuation once the batch is flushed. The first caller to find no async writer becomes it;
// after a bounded number of batches it hands the role to a new thread, so a caller's thread is
// never kept for long under sustained load. So a call's response, sent by that continuation, still
// leaves only after its entry is in the file, but no worker thread sleeps on the writer mutex.
// The continuations of one batch run together inside the completion scope (set_completion_scope),
// which lets the protocol layer write all their responses with one write(2). wait_idle() waits
// until every queued or held-back entry is written and its continuation has run (shutdown).
// The stdin reader defers its entries (OutputDeferral) and flushes them between reads. A small
// held-back batch it writes itself; one of kHandOffEntries or more goes to the log's own writer
// thread, so that hashing and writing overlap with the reader running the next calls. Only the
// batch crosses threads: each entry with a continuation that renders and sends its call's
// response, and the writer thread gives them back for the reader to free. The reader
// waits (back-pressure) while kMaxQueuedEntries are queued for a writer that is held up.
//
// Lifetime: construct from the parsed config at start-up (nothing touches the disk until
// open() or the first append(); a process that only answers `server/discover` creates no
// files); destroy after the last call. Thread-safe: append() may be called concurrently;
// entries are written, chained and tapped in one order.
#pragma once

#include "audit/audit_config.hpp"
#include "audit/audit_entry.hpp"
#include "audit/audit_tap.hpp"
#include "audit/chain.hpp"
#include "audit/redactor.hpp"
#include "audit/rotating_sink.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace toolgate {

class AuditLog {
 public:
  explicit AuditLog(AuditConfig config);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens the directory and file now (to surface problems at start-up); optional. False with
  // last_error() on failure; append() will keep retrying regardless.
  bool open();

  // For a pre-flight check before running a call: true while healthy; after a failure it
  // retries opening the log (that is how a log nobody writes to finds out it works again) and
  // returns false with `why` if that fails and failMode is closed. Optimistic: only append()
  // proves an entry can be written (a full disk may still accept an open).
  bool ready(std::string& why);

  // Fills id, timestamp and traceId when empty, redacts input and errorMessage, sets prev and
  // hash, writes. latencyMs below 0 is written as 0.
  // True when the entry is in the file (or the log is disabled, or failMode is open).
  bool append(AuditEntry& e);

  // As append(), without waiting: `then(ok)` runs once the entry is in the file (ok true; also
  // when the log is disabled or failMode is open) or could not be written (ok false, see
  // last_error()). It runs on the thread that writes the batch, which may be this one before
  // append_then() returns; it runs without any of the log's locks held, so it may append again.
  void append_then(AuditEntry e, std::function<void(bool ok)> then);
  // The same, with last_error() handed to the continuation when ok is false (no wrapper needed).
  using Done = std::function<void(bool ok, const std::string& error)>;
  void append_then(AuditEntry e, Done then);
  // A thread inside an OutputDeferral scope only holds its entry back (up to kDeferEntries)
  // and leaves the writing to flush_deferred(), which its owner calls soon (the stdin reader:
  // before it reads again) and which queues them all at once, even while a writer is at work.
  // Pipelined calls then share batches even though one thread runs them.
  static constexpr std::size_t kDeferEntries = 1024;
  void flush_deferred();
  // Entries held back that way, waiting for the flush.
  std::size_t held_back() const;
  // Logs that callers may defer into register here, so the reader can flush them all at once:
  // after a policy reload, calls still in flight keep writing to the log that was replaced.
  static void track(const std::shared_ptr<AuditLog>& log);
  static void flush_all_deferred();
  // wait_idle() on every tracked log (shutdown): calls that ended under a policy since replaced
  // may still have entries, and responses, with the log that policy used.
  static bool wait_all_idle(std::chrono::steady_clock::time_point deadline);
  // Wraps the running of one batch's continuations (e.g. to group the responses they write).
  // Set once, before the first append_then(); null runs them plainly.
  using CompletionScope = std::function<void(const std::function<void()>& run)>;
  void set_completion_scope(CompletionScope scope) { scope_ = std::move(scope); }
  // Blocks until every append_then() entry has been written and its continuation has run, or
  // until `deadline`. False if entries were still pending then.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  // How many batches a caller's thread writes before a new thread takes the writer role over
  // (default 64); tests lower it. Set before the first append_then().
  void set_lent_rounds(std::size_t rounds) { lent_rounds_ = rounds; }
  // How often that happened.
  std::uint64_t writer_handoffs() const { return handoffs_.load(); }
  // A deferring thread's flush_deferred() waits while kMaxQueuedEntries entries are queued for a
  // writer that is held up (back-pressure on the stdin reader); how often it did.
  static constexpr std::size_t kMaxQueuedEntries = 8 * 1024;
  std::uint64_t back_pressure_waits() const { return back_pressure_waits_.load(); }

  // Why the last write failed; empty while healthy.
  std::string last_error() const;
  bool healthy() const { return healthy_.load(); }
  std::uint64_t failed_appends() const { return failed_.load(); }

  // The redactor built from the config; add the caller's credential with add_literal() and
  // reuse it for stderr diagnostics.
  const std::shared_ptr<Redactor>& redactor() const { return redactor_; }
  const AuditConfig& config() const { return config_; }
  const std::vector<std::unique_ptr<AuditTap>>& taps() const { return taps_; }

 private:
  struct Pending;
  // Deletes them: Pending is complete in audit_log.cpp only.
  static void free_all(const std::vector<Pending*>& entries);
  // Fills the generated fields and redacts: the work each caller does on its own thread.
  void prepare(AuditEntry& e);
  // Redacts and clamps, leaving generated fields to the writer (append_then entries).
  void scrub(AuditEntry& e);
  void redact_then_cap(std::string& s, std::size_t bytes) const;
  // Moves the held entries to the end of queue_ (queue_mu_ held).
  void queue_held();
  // flush_deferred(); `may_wait` false inside a call (append_then), which must not stop on
  // back-pressure: the queue may then pass kMaxQueuedEntries by up to kDeferEntries.
  void flush_held(bool may_wait);
  // Appends a queued append_then() entry's canonical prefix to batch_text_ (write_mu_ held).
  void append_queued_prefix(AuditEntry& e, std::chrono::system_clock::time_point ended);
  // Writes every queued entry (group commit) and marks each done; called with write_mu_ held.
  // Returns the batch's asynchronous entries, which the caller completes after unlocking.
  std::vector<Pending*> write_batch(std::vector<Pending*>& batch);
  // The async writer's loop (see write_queued in the .cpp).
  void write_queued(std::size_t rounds);
  // Runs the continuations of written asynchronous entries (no lock held) and frees them.
  void complete(std::vector<Pending*>& done);
  // `e` (may be null) gets its prev and hash.
  void chain_line(std::size_t start, AuditEntry* e);
  // An entry line's link, if its hash checks out over its own prev and contents with this
  // log's key.
  struct Link {
    std::string prev;
    std::string hash;
  };
  std::optional<Link> verified_link(std::string_view line);
  // Adds an audit_recovered entry to the batch when the scan found damage to record.
  void after_scan(const ChainTail& tail, const std::optional<std::string>& lock_hash);
  void report(bool ok, const std::string& error, std::size_t entries);

  AuditConfig config_;
  std::shared_ptr<Redactor> redactor_;
  std::vector<std::unique_ptr<AuditTap>> taps_;

  // A deferring thread's entries, until its flush_deferred() queues them all at once. Locked
  // after queue_mu_ when both are taken; no writer ever touches it.
  mutable std::mutex held_mu_;
  std::vector<Pending*> held_;
  std::mutex queue_mu_;  // guards queue_, async_writer_, async_pending_
  std::vector<Pending*> queue_;
  bool async_writer_ = false;        // an append_then() caller, or the writer thread, is writing batches
  std::size_t async_pending_ = 0;    // queued append_then() entries not yet completed
  std::condition_variable idle_;     // async_pending_ reached 0 and no async writer is left
  std::condition_variable taken_;    // a writer took the queue
  std::size_t lent_rounds_ = 64;
  // The writer thread, started for the first deferred batch of kHandOffEntries or more.
  static constexpr std::size_t kHandOffEntries = 16;
  bool start_writer_thread();
  void writer_loop();
  static thread_local bool on_writer_thread_;  // some AuditLog's writer thread (each log has its own)
  std::thread writer_thread_;
  bool writer_wanted_ = false;    // a batch was handed to it (async_writer_ is set for it)
  bool writer_thread_writing_ = false;  // from the hand-off until its write_queued() returns
  bool writer_stopping_ = false;
  std::condition_variable writer_cv_;
  std::vector<Pending*> recycle_;  // completed on the writer thread; freed by flush_deferred()
  std::atomic<std::uint64_t> handoffs_{0};
  std::atomic<std::uint64_t> back_pressure_waits_{0};
  CompletionScope scope_;
  std::mutex write_mu_;  // held by the one thread writing a batch; guards everything below
  ChainHasher hasher_;
  AuditFileSink sink_;
  std::string batch_text_;      // the batch being written: its lines, each ending in "\n"
  static constexpr std::size_t kKeptBatchBytes = 8u << 20;
  std::vector<std::size_t> line_ends_;  // where each line of batch_text_ ends (for the taps)
  std::string last_hash_;       // chain end including buffered lines; empty until known
  std::string committed_hash_;  // chain end as flushed to the file
  mutable std::mutex error_mu_;
  std::string last_error_;
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace toolgate
