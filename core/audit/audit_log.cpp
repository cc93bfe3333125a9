#include "audit/audit_log.hpp"

#include "util/output_deferral.hpp"
#include "util/utf8.hpp"

#include <spdlog/spdlog.h>

#include <limits>
#include <system_error>
#include <thread>

namespace toolgate {

namespace json = boost::json;

struct AuditLog::Pending {
  std::string prefix;  // append(): canonical text before `prev`, built by the caller's thread
  AuditEntry* entry = nullptr;
  bool done = false;
  bool ok = false;
  // append_then(): the entry lives here and `then` finishes it; append() waits on its stack.
  AuditEntry owned;
  std::chrono::system_clock::time_point ended;  // when append_then() was called
  Done then;
  bool async() const { return static_cast<bool>(then); }
};

AuditLog::AuditLog(AuditConfig config)
    : config_(std::move(config)),
      redactor_(std::make_shared<Redactor>(config_.redact_keys, config_.redact_patterns)),
      hasher_(config_.hmac_key),
      sink_(config_.directory, config_.max_file_bytes, config_.max_files, config_.fsync) {
  if (config_.enabled)
    for (const auto& t : config_.taps) taps_.push_back(std::make_unique<AuditTap>(t));
}

AuditLog::~AuditLog() {
  wait_idle(std::chrono::steady_clock::time_point::max());
  {
    std::lock_guard q(queue_mu_);
    writer_stopping_ = true;
  }
  writer_cv_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
  free_all(recycle_);
}

void AuditLog::free_all(const std::vector<Pending*>& entries) {
  for (Pending* p : entries) delete p;
}

std::string AuditLog::last_error() const {
  std::lock_guard lk(error_mu_);
  return last_error_;
}

bool AuditLog::open() {
  if (!config_.enabled) return true;
  std::lock_guard w(write_mu_);
  std::vector<Pending*> none;  // an empty batch only (re)opens and records repairs
  write_batch(none);
  return healthy_.load();
}

bool AuditLog::ready(std::string& why) {
  if (!config_.enabled || healthy_.load()) return true;
  if (open()) return true;
  why = last_error();
  return config_.fail_mode == AuditConfig::FailMode::open;
}

void AuditLog::prepare(AuditEntry& e) {
  if (e.id.empty()) e.id = new_audit_id();
  if (e.timestamp.empty()) e.timestamp = format_audit_timestamp(std::chrono::system_clock::now());
  if (e.trace_id.empty()) e.trace_id = new_trace_id();
  scrub(e);
}

namespace {
// Fields the caller writes besides the input are bounded too, or one huge client name would be
// repeated in every entry of its session.
constexpr std::size_t kCallerFieldBytes = 256;
constexpr std::size_t kErrorMessageBytes = 4096;

void cap(std::string& s, std::size_t bytes) {
  if (s.size() > bytes) s = to_valid_utf8(std::string_view(s).substr(0, bytes)) + "...";
}
}  // namespace

// Redacted before the final cut, so a secret straddling it is still recognised whole; but only
// after a first cut at four times the length, so a huge field costs the redactor no more than a
// bounded one (a piece of a credential left by that first cut is past the final one).
void AuditLog::redact_then_cap(std::string& s, std::size_t bytes) const {
  if (s.size() > 4 * bytes) s.resize(4 * bytes);
  redactor_->redact_string(s);
  cap(s, bytes);
}

void AuditLog::scrub(AuditEntry& e) {
  if (e.latency_ms < 0) e.latency_ms = 0;
  redactor_->redact_in_place(e.input);
  // Every field the caller controls: a key pasted as a tool name, request id, client name or
  // job id must not reach the file either, nor a field of any size.
  for (auto [field, bytes] : {std::pair{&e.error_message, kErrorMessageBytes}, std::pair{&e.tool, kCallerFieldBytes},
                              std::pair{&e.client_name, kCallerFieldBytes}, std::pair{&e.client_version, kCallerFieldBytes},
                              std::pair{&e.job_id, kCallerFieldBytes}, std::pair{&e.consent_id, kCallerFieldBytes}}) {
    redact_then_cap(*field, bytes);
  }
  if (e.request_id.is_string()) {
    std::string id(e.request_id.get_string());
    redact_then_cap(id, kCallerFieldBytes);
    e.request_id = id;
  }
}

bool AuditLog::append(AuditEntry& e) {
  if (!config_.enabled) return true;
  prepare(e);
  Pending me;
  me.prefix = canonical_prefix(e, config_.max_input_bytes);  // the costly serialisation, outside any lock
  me.entry = &e;
  {
    std::lock_guard q(queue_mu_);
    queue_held();  // what a reader held back ended first: it goes first, as it would have
    queue_.push_back(&me);
  }
  std::vector<Pending*> async_done;
  {
    std::lock_guard w(write_mu_);
    if (!me.done) {  // nobody wrote it while we waited: write everything queued
      std::vector<Pending*> batch;
      {
        std::lock_guard q(queue_mu_);
        batch.swap(queue_);
      }
      taken_.notify_all();
      async_done = write_batch(batch);
    }
  }
  complete(async_done);  // entries of append_then() callers that our batch carried
  return me.ok || config_.fail_mode == AuditConfig::FailMode::open;
}

void AuditLog::append_then(AuditEntry e, std::function<void(bool ok)> then) {
  if (!then) return append_then(std::move(e), Done([](bool, const std::string&) {}));
  append_then(std::move(e), Done([then = std::move(then)](bool ok, const std::string&) { then(ok); }));
}

void AuditLog::append_then(AuditEntry e, Done then) {
  if (!config_.enabled) {
    if (then) then(true, std::string());
    return;
  }
  auto p = std::make_unique<Pending>();
  p->owned = std::move(e);
  p->entry = &p->owned;
  // The time the call ended. Ids, redaction and serialisation are left to write_batch, which
  // builds the line straight into the batch (usually on this same thread: the stdin reader
  // defers its entries and writes them at its next flush) without allocating for them.
  p->ended = std::chrono::system_clock::now();
  // Non-empty: that is what marks it asynchronous.
  p->then = then ? std::move(then) : Done([](bool, const std::string&) {});
  if (OutputDeferral::active()) {
    // Held back for a batch with the entries that follow; flush_deferred() hands them over
    // soon, all at once. Not queued one by one: a writer at work would take them a few at a
    // time, paying a write(2) and a cross-core hand-off for every few entries.
    std::size_t held;
    {
      std::lock_guard h(held_mu_);
      held_.push_back(p.release());
      held = held_.size();
    }
    // Also when the baton was taken while the entry went in: the new reader may have flushed
    // already, and this thread no longer flushes between messages.
    if (held >= kDeferEntries || !OutputDeferral::active()) flush_held(false);
    return;
  }
  {
    std::lock_guard q(queue_mu_);
    queue_.push_back(p.release());
    ++async_pending_;
    if (async_writer_) return;  // the writer at work takes our entry in its next batch
    async_writer_ = true;
  }
  // This thread is the async writer now: batch after batch until the queue is empty.
  write_queued(lent_rounds_);
}

// The emptiness check and giving up the role happen under queue_mu_, so an entry queued at any
// moment is either in a batch taken here or finds async_writer_ false and writes itself. A
// caller's thread is only lent for `rounds` batches: under sustained load the queue may never
// empty, and that thread (a worker, or the deadline watch expiring a call) has its own job; a
// fresh thread then takes the writer role over and keeps it until the queue is empty.
void AuditLog::write_queued(std::size_t rounds) {
  for (std::size_t round = 0;; ++round) {
    std::vector<Pending*> done;
    {
      std::unique_lock w(write_mu_);
      std::unique_lock q(queue_mu_);
      if (queue_.empty()) {
        w.unlock();  // wait_idle() may return (and the log be destroyed) once the flag is down
        async_writer_ = false;
        idle_.notify_all();
        return;
      }
      if (round == rounds) {
        try {
          std::thread([this] { write_queued(std::numeric_limits<std::size_t>::max()); }).detach();
          handoffs_.fetch_add(1);
          return;  // the role passes to the new thread, which waits for write_mu_
        } catch (const std::system_error&) {
          // No thread to be had: keep writing here.
        }
      }
      std::vector<Pending*> batch;
      batch.swap(queue_);
      q.unlock();
      taken_.notify_all();
      done = write_batch(batch);
    }
    complete(done);
  }
}

void AuditLog::complete(std::vector<Pending*>& done) {
  if (done.empty()) return;
  bool open_mode = config_.fail_mode == AuditConfig::FailMode::open;
  auto run = [&] {
    std::string error;  // the same for the whole batch
    for (Pending* p : done) {
      bool ok = p->ok || open_mode;
      if (!ok && error.empty()) error = last_error();
      try {
        p->then(ok, ok ? std::string() : error);
      } catch (const std::exception& ex) {  // a continuation must not take the writer down
        spdlog::error("audit: a continuation failed after its entry was written: {}", ex.what());
      }
    }
  };
  if (scope_)
    scope_(run);
  else
    run();
  // Entries and continuations were built by the thread that queued them (usually the stdin
  // reader): the writer thread hands them back to be freed there (flush_deferred), so their
  // memory neither crosses cores again nor migrates between the allocator's thread caches, and
  // no destructor (a call, a policy, this log) runs on the writer thread.
  bool on_writer_thread = on_writer_thread_;
  if (!on_writer_thread) free_all(done);
  std::lock_guard q(queue_mu_);
  if (on_writer_thread) recycle_.insert(recycle_.end(), done.begin(), done.end());
  async_pending_ -= done.size();
  if (async_pending_ == 0) idle_.notify_all();
}

// The whole batch is built in batch_text_ and goes to the sink as one block: one pass through
// spdlog and one write(2) however many entries it holds.
std::vector<AuditLog::Pending*> AuditLog::write_batch(std::vector<Pending*>& batch) {
  std::string error;
  batch_text_.clear();
  line_ends_.clear();
  AuditFileSink::Acquired state;
  bool ok = false;
  try {
    ok = sink_.acquire(state, error);
    if (ok && state.moved_on_to) last_hash_ = *state.moved_on_to;  // another process wrote
    if (ok && state.scanned) after_scan(state.tail, state.lock_hash);
    if (ok)
      for (Pending* p : batch) {
        std::size_t start = batch_text_.size();
        if (p->prefix.empty())  // an append_then() entry, as its caller left it
          append_queued_prefix(*p->entry, p->ended);
        else
          batch_text_.append(p->prefix);
        chain_line(start, p->async() ? nullptr : p->entry);  // nobody reads an async entry's links
      }
    // The sink ends the block with the last line's newline.
    if (ok && !batch_text_.empty())
      ok = sink_.write_line(std::string_view(batch_text_).substr(0, batch_text_.size() - 1), error);
    if (ok) ok = sink_.flush(error);
  } catch (const std::exception& e) {  // e.g. out of memory: refuse the batch, keep the chain sane
    ok = false;
    error = e.what();
  }
  if (ok) {
    sink_.commit(last_hash_);
    committed_hash_ = last_hash_;
    std::size_t from = 0;
    for (std::size_t end : line_ends_) {
      for (auto& tap : taps_) tap->publish(std::string_view(batch_text_).substr(from, end - from));
      from = end + 1;
    }
  } else {
    sink_.abort();  // the file may end in a torn line now: everyone re-reads before writing
    last_hash_ = committed_hash_;
  }
  // Kept for the next batch, unless a batch of large inputs made it big.
  if (batch_text_.capacity() > kKeptBatchBytes) {
    std::string().swap(batch_text_);
    std::vector<std::size_t>().swap(line_ends_);
  }
  std::vector<Pending*> async_done;
  for (Pending* p : batch) {
    if (!ok) p->entry->prev.clear(), p->entry->hash.clear();
    p->ok = ok;
    // Decided while write_mu_ is held: once it is released, a synchronous appender's Pending
    // (on its stack) may be gone.
    if (p->async()) async_done.push_back(p);
    p->done = true;
  }
  report(ok, error, batch.size());
  return async_done;
}

// prepare() and canonical_prefix() for an append_then() entry, straight into the batch: the
// fields it leaves empty are rendered into local buffers, never stored in the entry.
void AuditLog::append_queued_prefix(AuditEntry& e, std::chrono::system_clock::time_point ended) {
  scrub(e);
  char id[36], timestamp[kAuditTimestampSize], trace[32];
  GeneratedFields generated;
  if (e.id.empty()) {
    put_audit_id(id);
    generated.id = {id, sizeof id};
  }
  if (e.timestamp.empty()) {
    put_audit_timestamp(timestamp, ended);
    generated.timestamp = {timestamp, sizeof timestamp};
  }
  if (e.trace_id.empty()) {  // a client's traceparent gives the entry one
    put_trace_id(trace);
    generated.trace_id = {trace, sizeof trace};
  }
  append_canonical_prefix(batch_text_, e, &generated, config_.max_input_bytes);
}

// batch_text_ holds the entry's canonical prefix from `start` on: close it with `prev`, hash that
// (the canonical text), then swap the closing brace for the `hash` member and end the line.
void AuditLog::chain_line(std::size_t start, AuditEntry* e) {
  std::string& text = batch_text_;
  close_canonical(text, last_hash_);
  char hash[64];
  hasher_.link_into(hash, last_hash_, std::string_view(text).substr(start));
  append_hash_member(text, {hash, sizeof hash});
  line_ends_.push_back(text.size());
  text.push_back('\n');
  if (e) {
    e->prev = last_hash_;
    e->hash.assign(hash, sizeof hash);
  }
  last_hash_.assign(hash, sizeof hash);  // in place: no allocation per entry
}

// Logs state changes once (not per call) and counts refused or lost entries.
void AuditLog::report(bool ok, const std::string& error, std::size_t entries) {
  bool open_mode = config_.fail_mode == AuditConfig::FailMode::open;
  if (ok) {
    if (!healthy_.exchange(true))
      spdlog::warn("audit: writing to {} again after failure ({} entries {})", sink_.file_path(), failed_.load(),
                   open_mode ? "lost" : "refused");
    std::lock_guard lk(error_mu_);
    last_error_.clear();
    return;
  }
  failed_.fetch_add(entries);
  std::string message = "audit log " + config_.directory + ": " + error;
  {
    std::lock_guard lk(error_mu_);
    last_error_ = message;
  }
  if (healthy_.exchange(false))
    spdlog::error("{}; {} until it can be written again", message,
                  open_mode ? "continuing WITHOUT an audit trail (failMode open)" : "refusing tool calls (failMode closed)");
}

}  // namespace toolgate
