// One audit record: who called which tool, with what (redacted) input, and what came of it, plus
// the `prev`/`hash` links that make the file a tamper-evident chain. This header also owns the
// one list of outcomes, the timestamp format and the W3C trace-context helper.
//
// Canonical form (what the chain hashes): the entry serialised as one JSON object whose members
// appear in exactly this order, optional members omitted when empty/absent, never null:
//   id, timestamp, actor, tenant, tool, plugin?, pluginVersion?, input, outcome, latencyMs,
//   errorCode, errorMessage?, requestId?, traceId, consentId?, jobId?, clientName?, clientVersion?,
//   policyDigest?, manifestDigest?, prev
// The written line is that text with `,"hash":"<64 hex>"` inserted before the closing brace, so
// a verifier recovers the hashed bytes exactly by cutting that member off again (chain.hpp);
// nested `input` keeps the member order it had. Plain value types and pure functions; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

// Every outcome an entry can record. Keep audit-entry.schema.json's enum in step (a test checks).
enum class AuditOutcome {
  success,
  tool_error,
  invalid_input,
  unauthenticated,
  insufficient_scope,
  rate_limited,
  consent_declined,
  timeout,
  cancelled,
  internal,          // plugin crash or host fault
  job_started,       // a long-running call was accepted; its final outcome is a later entry
  audit_recovered,   // written by the audit log itself after a torn line or vanished files
  input_required,    // 2026-era consent: the caller was asked; the retry is an entry of its own
  job_complete,      // a long-running call finished; the job's own entry, sharing the start's traceId
  job_failed,
  job_cancelled,
  forbidden,         // the policy's tenant allow/deny lists refuse this tool to the caller's tenant
  definition_changed,  // a pinned tool definition changed without a version change (refused or flagged)
};

inline constexpr std::array<std::string_view, 18> kAuditOutcomeNames = {
    "success",        "tool_error", "invalid_input", "unauthenticated", "insufficient_scope", "rate_limited",
    "consent_declined", "timeout",  "cancelled",     "internal",        "job_started",        "audit_recovered",
    "input_required", "job_complete", "job_failed",  "job_cancelled", "forbidden",
    "definition_changed"};

std::string_view outcome_name(AuditOutcome o);
std::optional<AuditOutcome> parse_outcome(std::string_view name);

struct AuditEntry {
  std::string id;                  // UUID v4; AuditLog::append fills it when empty
  std::string timestamp;           // RFC 3339 UTC with milliseconds; filled when empty
  std::string actor;               // principal subject ("" when unauthenticated)
  std::string tenant;
  std::string tool;
  std::string plugin;              // optional
  std::string plugin_version;      // optional
  boost::json::value input;        // call arguments; AuditLog redacts before writing
  AuditOutcome outcome = AuditOutcome::success;
  std::int64_t latency_ms = 0;
  std::string error_code;          // "" on success
  std::string error_message;       // optional plain sentence; AuditLog redacts it
  boost::json::value request_id;   // JSON-RPC id (string or integer); null = omitted
  std::string trace_id;            // 32 hex; filled with a random one when empty
  std::string consent_id;          // optional
  std::string job_id;              // optional
  std::string client_name;         // optional
  std::string client_version;      // optional
  std::string policy_digest;       // optional
  std::string manifest_digest;     // optional
  std::string prev;                // set by AuditLog
  std::string hash;                // set by AuditLog
};

// "2026-11-26T14:05:14.123Z".
std::string format_audit_timestamp(std::chrono::system_clock::time_point t);
inline constexpr std::size_t kAuditTimestampSize = 24;
// The same into a buffer, without allocating (the audit writer's path).
void put_audit_timestamp(char (&out)[kAuditTimestampSize], std::chrono::system_clock::time_point t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)"; nullopt when malformed.
// Keeps milliseconds (unlike identity/time_format.hpp, which keeps whole seconds for key files).
std::optional<std::chrono::system_clock::time_point> parse_audit_time(std::string_view text);

// Trace id of a W3C `traceparent` header ("00-<32 hex>-<16 hex>-<2 hex>"); nullopt if invalid
// (wrong shape, upper-case hex, version ff, all-zero ids).
std::optional<std::string> trace_id_from_traceparent(std::string_view traceparent);
// A fresh random 32-hex trace id.
std::string new_trace_id();
// A fresh random UUID v4 for an entry's id.
std::string new_audit_id();
// The same two into buffers, without allocating.
void put_trace_id(char (&out)[32]);
void put_audit_id(char (&out)[36]);

// Values for the fields an entry leaves empty, filled in as the line is written.
struct GeneratedFields {
  std::string_view id, timestamp, trace_id;
};

// The canonical text up to, not including, the `prev` member: `{"id":...,"manifestDigest":"..."`.
// Split out so the expensive part is built outside the log's lock.
std::string canonical_prefix(const AuditEntry& e, std::size_t max_input_bytes = 0);
// The same, appended to `out` (the audit writer builds a whole batch in one buffer). Empty id,
// timestamp and traceId come from `generated` when given.
// An input longer than max_input_bytes once serialised (0: no limit) is written as
// {"dev.toolgate/truncated":{"bytes":N,"sha256":"<hex of the serialised input>"}}.
void append_canonical_prefix(std::string& out, const AuditEntry& e, const GeneratedFields* generated = nullptr,
                             std::size_t max_input_bytes = 0);
// prefix + `,"prev":"<prev>"}`: the bytes the chain hashes.
std::string canonical_from_prefix(std::string_view prefix, std::string_view prev);
// canonical text with the hash member added: the line written to the file (without newline).
std::string line_with_hash(std::string_view canonical, std::string_view hash);
// The same two steps on a buffer that ends with the text (the audit writer's batch): the first
// appends the `prev` member and the closing brace, the second swaps that brace for the `hash`
// member and the brace.
void close_canonical(std::string& text, std::string_view prev);
void append_hash_member(std::string& canonical, std::string_view hash);

}  // namespace toolgate
