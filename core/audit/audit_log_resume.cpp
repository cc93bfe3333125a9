// AuditLog's chain resumption: where the chain goes on after the sink scanned the newest file
// (a restart, another process's writes, a torn or forged last line, deleted files), and the
// audit_recovered entry that records any damage first. Split from audit_log.cpp, which queues
// and writes batches; these run inside write_batch() with write_mu_ held.
#include "audit/audit_log.hpp"

#include "audit/audit_files.hpp"
#include "util/digest.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace toolgate {

namespace json = boost::json;

// Where does the chain continue, and is there damage to record first?
void AuditLog::after_scan(const ChainTail& tail, const std::optional<std::string>& lock_hash) {
  if (tail.stray_lines)
    spdlog::error("audit: {} complete line(s) after the newest entry in {} are not audit entries (a crash leaves "
                  "no such line: something else wrote them); the chain goes on from the entry before them and "
                  "`toolgate audit verify` reports them",
                  tail.stray_lines, config_.directory);
  // A chain existed if this process wrote one, or if the directory's lock file remembers one
  // (the files were deleted while no toolgate ran): it then goes on from that hash after an
  // audit_recovered entry, instead of silently starting afresh.
  // (An empty batch, such as the one that opens the log, commits the genesis hash: no chain yet.)
  std::string known = !committed_hash_.empty() ? committed_hash_ : lock_hash.value_or("");
  bool had_chain = !known.empty() && known != kGenesisHash;
  // A chain written with another key (hmacKeyFile added, removed or changed) cannot be continued:
  // no single key would verify the directory afterwards. Refuse (the batch fails, calls are
  // refused under failMode closed) and say what to do.
  if (tail.last_hash && !verified_link(tail.last_entry))
    throw std::runtime_error("the newest entry in " + config_.directory + " does not verify with " +
                             (hasher_.keyed() ? "this HMAC key" : "plain SHA-256 (no hmacKeyFile)") +
                             ": the log was written with another key, or without one, or that entry was edited. "
                             "Use a new audit directory when you change audit.hmacKeyFile");
  std::optional<std::string> end = tail.last_hash;
  std::vector<std::string> torn_lines = tail.junk;
  if (tail.unterminated_entry) {
    // Only an entry whose hash checks out with this log's key and that links to what comes
    // before it is taken as the chain's end (a crash just before its newline); anything else
    // that merely looks like one is recorded as torn, or the chain would go on from a forged
    // hash. What comes before it: the entry before it; with none, genesis (the first entry
    // ever) or the chain end this process or the lock file knows (files deleted, then a crash
    // cut the first new entry's newline).
    auto link = verified_link(*tail.unterminated_entry);
    bool links = link && (end ? link->prev == *end : link->prev == kGenesisHash || (had_chain && link->prev == known));
    if (links)
      end = std::move(link->hash);
    else
      torn_lines.push_back(*tail.unterminated_entry);
  }
  if (end)
    last_hash_ = *end;
  else if (!had_chain)
    last_hash_ = std::string(kGenesisHash);
  else
    last_hash_ = known;
  std::string reason;
  json::object details;
  if (!torn_lines.empty()) {
    reason = "torn_line";
    json::array torn;
    for (const auto& j : torn_lines) torn.push_back(json::object{{"bytes", j.size()}, {"sha256", sha256_hex(j)}});
    details["tornLines"] = std::move(torn);
  } else if (!end && had_chain) {
    reason = "files_missing";
    details["directory"] = config_.directory;
  } else {
    return;
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
  std::size_t start = batch_text_.size();
  append_canonical_prefix(batch_text_, r);
  chain_line(start, nullptr);
}

std::optional<AuditLog::Link> AuditLog::verified_link(std::string_view line) {
  auto split = split_entry_line(line);
  if (!split) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* prev = o ? o->if_contains("prev") : nullptr;
  if (!prev || !prev->is_string() || hasher_.link(prev->get_string(), split->canonical) != split->hash)
    return std::nullopt;
  return Link{std::string(prev->get_string()), std::move(split->hash)};
}

}  // namespace toolgate
