// The seam between the protocol engine and the policy pipeline. The engine asks, in order:
// who is calling (authenticate), may they call this tool (required_scope + scope matching), are
// they within their limits (admit), and finally records exactly one audit entry per call
// (record) before the response leaves. The app composes identity/, ratelimit/ and audit/ behind
// this interface; tests substitute simple implementations.
// Implementations must be thread-safe: every method is called from worker threads concurrently.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "policy/principal.hpp"
#include "policy/response_redaction.hpp"
#include "registry/manifest.hpp"

namespace toolgate {

struct AuthDecision {
  bool ok = false;
  Principal principal;
  std::string reason;  // why not, phrased for the caller; never contains the credential
};

struct RateDecision {
  bool allowed = true;
  std::int64_t retry_after_seconds = 0;
  std::string limit;    // which limit tripped: "tool", "tenant", "inflight", "store"
  std::string message;
};

// Holds whatever a call must release when it ends (e.g. an in-flight slot).
struct CallTicket {
  virtual ~CallTicket() = default;
};

// Everything an audit entry needs about one finished call.
struct CallRecord {
  std::string tool;
  std::string plugin;
  std::string plugin_version;
  std::string manifest_digest;
  Principal principal;  // empty subject when unauthenticated
  boost::json::value input;
  std::string outcome;      // success, tool_error, invalid_input, unauthenticated, ...
  std::string error_code;   // empty on success
  std::string error_message;
  std::int64_t latency_ms = 0;
  boost::json::value request_id;
  std::string traceparent;  // from _meta.traceparent, may be empty
  std::string client_name;
  std::string client_version;
  std::string consent_id;
  std::string job_id;
};

class CallPolicy {
 public:
  virtual ~CallPolicy() = default;
  virtual AuthDecision authenticate() = 0;
  // The scope a tool requires after policy overrides; empty means none (denied).
  virtual std::string required_scope(const ToolManifest& tool) = 0;
  // Rate limits and in-flight caps. On success the ticket (may be null) is held for the call.
  virtual RateDecision admit(const Principal& who, const ToolManifest& tool, std::unique_ptr<CallTicket>& ticket) = 0;
  // Whether tools/list shows only callable tools (true) or everything (false).
  virtual bool filter_tool_list() = 0;
  // Empty when the caller's tenant may see and call `tool`; otherwise why not (the policy's
  // tenants.<tenant>.allowTools / denyTools). Forbidden tools are left out of tools/list.
  virtual std::string tool_forbidden(const Principal& /*who*/, const std::string& /*tool*/) { return ""; }
  // Whether any tenant rule exists, so tools/list must know the caller even when it lists all tools.
  virtual bool restricts_tools_by_tenant() { return false; }
  // The policy one call runs under from its start to its audit entry. A reloadable policy hands
  // out its current snapshot, so a reload never changes the rules under a call in flight; a
  // fixed policy hands out itself (not owned).
  virtual std::shared_ptr<CallPolicy> snapshot() { return std::shared_ptr<CallPolicy>(std::shared_ptr<CallPolicy>(), this); }
  // Whether this caller must confirm before this tool runs (destructive tools, by default).
  virtual bool consent_needed(const Principal& who, const ToolManifest& tool) = 0;
  // False with `why` when the audit sink cannot take entries and the policy fails closed.
  virtual bool audit_ready(std::string& why) = 0;
  // Writes the call's one audit entry. False with `why` when it could not be written and the
  // policy fails closed: the caller must then withhold the result.
  virtual bool record(const CallRecord& record, std::string& why) = 0;
  // record() without waiting: `done(recorded, why)` runs once the entry is written (or could not
  // be), possibly on another thread and possibly before record_then() returns. The response
  // must be sent from `done`, never before it. The default records synchronously.
  using RecordDone = std::function<void(bool recorded, const std::string& why)>;
  // Takes the record by value: the entry is built from it by moving, not copying again.
  virtual void record_then(CallRecord record, RecordDone done) {
    std::string why;
    bool ok = this->record(record, why);
    done(ok, why);
  }
  // How to wrap the running of several `done` continuations finished together (the protocol
  // layer groups the responses they write); set once before the first call. Default: unused.
  using CompletionScope = std::function<void(const std::function<void()>& run)>;
  virtual void set_completion_scope(CompletionScope) {}
  // The response redaction rules in force (policy `redact`), or null for none. A call takes
  // them once and applies them to its result (and a job to its partials and result) before the
  // response and the audit entry are built.
  virtual std::shared_ptr<const ResponseRedaction> response_redaction() { return nullptr; }
};

}  // namespace toolgate
