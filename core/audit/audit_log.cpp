#include "audit/audit_log.hpp"

#include "util/digest.hpp"

#include <spdlog/spdlog.h>

namespace toolgate {

namespace json = boost::json;

struct AuditLog::Pending {
  std::string prefix;  // canonical text before `prev`, built by the caller's thread
  AuditEntry* entry;
  bool done = false;
  bool ok = false;
};

AuditLog::AuditLog(AuditConfig config)
    : config_(std::move(config)),
      redactor_(std::make_shared<Redactor>(config_.redact_keys, config_.redact_patterns)),
      hasher_(config_.hmac_key),
      sink_(config_.directory, config_.max_file_bytes, config_.max_files, config_.fsync) {
  if (config_.enabled)
    for (const auto& t : config_.taps) taps_.push_back(std::make_unique<AuditTap>(t));
}

AuditLog::~AuditLog() = default;

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

bool AuditLog::append(AuditEntry& e) {
  if (!config_.enabled) return true;
  if (e.id.empty()) e.id = new_audit_id();
  if (e.timestamp.empty()) e.timestamp = format_audit_timestamp(std::chrono::system_clock::now());
  if (e.trace_id.empty()) e.trace_id = new_trace_id();
  if (e.latency_ms < 0) e.latency_ms = 0;
  e.input = redactor_->redact(e.input);
  if (!e.error_message.empty()) e.error_message = redactor_->redact_text(e.error_message);
  Pending me{canonical_prefix(e), &e};  // the costly serialisation, outside any lock
  {
    std::lock_guard q(queue_mu_);
    queue_.push_back(&me);
  }
  std::lock_guard w(write_mu_);
  if (!me.done) {  // nobody wrote it while we waited: write everything queued
    std::vector<Pending*> batch;
    {
      std::lock_guard q(queue_mu_);
      batch.swap(queue_);
    }
    write_batch(batch);
  }
  return me.ok || config_.fail_mode == AuditConfig::FailMode::open;
}

void AuditLog::write_batch(std::vector<Pending*>& batch) {
  std::string error;
  std::vector<std::string> lines;  // for the taps, once the file has them
  AuditFileSink::Acquired state;
  bool ok = false;
  try {
    ok = sink_.acquire(state, error);
    if (ok && state.moved_on_to) last_hash_ = *state.moved_on_to;  // another process wrote
    if (ok && state.scanned) ok = after_scan(state.tail, lines, error);
    for (std::size_t i = 0; ok && i < batch.size(); ++i) {
      chain_line(batch[i]->prefix, batch[i]->entry, lines);
      ok = sink_.write_line(lines.back(), error);
    }
    if (ok) ok = sink_.flush(error);
  } catch (const std::exception& e) {  // e.g. out of memory: refuse the batch, keep the chain sane
    ok = false;
    error = e.what();
  }
  if (ok) {
    sink_.commit(last_hash_);
    committed_hash_ = last_hash_;
    for (const auto& line : lines)
      for (auto& tap : taps_) tap->publish(line);
  } else {
    sink_.abort();  // the file may end in a torn line now: everyone re-reads before writing
    last_hash_ = committed_hash_;
  }
  for (Pending* p : batch) {
    if (!ok) p->entry->prev.clear(), p->entry->hash.clear();
    p->ok = ok;
    p->done = true;
  }
  report(ok, error, batch.size());
}

void AuditLog::chain_line(const std::string& prefix, AuditEntry* e, std::vector<std::string>& lines) {
  std::string canonical = canonical_from_prefix(prefix, last_hash_);
  std::string hash = hasher_.link(last_hash_, canonical);
  lines.push_back(line_with_hash(canonical, hash));
  e->prev = last_hash_;
  e->hash = hash;
  last_hash_ = std::move(hash);
}

// Where does the chain continue, and is there damage to record first?
bool AuditLog::after_scan(const ChainTail& tail, std::vector<std::string>& lines, std::string& error) {
  bool had_chain = !committed_hash_.empty();
  if (tail.last_hash)
    last_hash_ = *tail.last_hash;
  else if (!had_chain)
    last_hash_ = std::string(kGenesisHash);
  else
    last_hash_ = committed_hash_;
  std::string reason;
  json::object details;
  if (!tail.junk.empty()) {
    reason = "torn_line";
    json::array torn;
    for (const auto& j : tail.junk) torn.push_back(json::object{{"bytes", j.size()}, {"sha256", sha256_hex(j)}});
    details["tornLines"] = std::move(torn);
  } else if (!tail.last_hash && had_chain) {
    reason = "files_missing";
    details["directory"] = config_.directory;
  } else {
    return true;
  }
  AuditEntry r;
  r.id = new_audit_id();
  r.timestamp = format_audit_timestamp(std::chrono::system_clock::now());
  r.actor = "toolgate";
  details["reason"] = reason;
  r.input = std::move(details);
  r.outcome = AuditOutcome::audit_recovered;
  r.error_code = reason;
  r.trace_id = new_trace_id();
  spdlog::warn("audit: {} in {}; recorded in the chain as an audit_recovered entry", reason, config_.directory);
  chain_line(canonical_prefix(r), &r, lines);
  return sink_.write_line(lines.back(), error);
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
