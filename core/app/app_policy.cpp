#include "app/app_policy.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "audit/audit_log.hpp"
#include "identity/api_keys.hpp"
#include "identity/authenticator.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace toolgate {

namespace json = boost::json;

struct AppPolicy::Parts {
  Config config;
  std::unique_ptr<Authenticator> authenticator;
  std::shared_ptr<RateLimiter> limiter;
  std::shared_ptr<AuditLog> audit;  // null when the policy turns the audit off
  std::shared_ptr<const ResponseRedaction> redaction;  // null when `redact` names no path
  CallPolicy::CompletionScope completion_scope;  // kept so an audit log a reload opens gets it too
};

namespace {
// Keeps a principal's in-flight slot for as long as the call runs.
struct InFlightTicket : CallTicket {
  explicit InFlightTicket(InFlightGuard g) : guard(std::move(g)) {}
  InFlightGuard guard;
};
}  // namespace

namespace {
// A section as written, for deciding whether a reload may keep the part built from it.
json::value section(const Config& c, const char* key) {
  const json::value* v = c.raw.if_contains(key);
  return v ? *v : json::value();
}
}  // namespace

AppPolicy::AppPolicy(const Config& config, std::string credential) : AppPolicy(config, std::move(credential), nullptr) {}

AppPolicy::AppPolicy(const Config& config, std::string credential, const AppPolicy& previous)
    : AppPolicy(config, std::move(credential), &previous) {}

const Config& AppPolicy::config() const { return parts_->config; }

AppPolicy::AppPolicy(const Config& config, std::string credential, const AppPolicy* previous)
    : parts_(std::make_unique<Parts>()) {
  parts_->config = config;
  JsonErrors errors;
  JsonObjectReader root(&parts_->config.raw, "$", errors);
  JsonObjectReader identity_reader = root.object("identity");
  IdentityConfig identity = parse_identity_config(identity_reader, config.base_dir);
  JsonObjectReader limits_reader = root.object("rateLimits");
  RateLimitConfig limits = read_rate_limit_config(limits_reader);
  JsonObjectReader audit_reader = root.object("audit");
  AuditConfig audit = parse_audit_config(audit_reader, config.base_dir);
  JsonObjectReader redact_reader = root.object("redact");
  ResponseRedaction redaction = parse_response_redaction(redact_reader);
  if (errors.empty()) Authenticator::validate(identity, errors);
  if (!errors.empty()) throw std::runtime_error(errors.joined("\n  "));
  const Config* old = previous ? &previous->parts_->config : nullptr;
  bool same_dir = old && old->base_dir == config.base_dir;
  if (same_dir && section(*old, "audit") == section(config, "audit") && section(*old, "redact") == section(config, "redact")) {
    parts_->audit = previous->parts_->audit;
    parts_->completion_scope = previous->parts_->completion_scope;
  } else if (audit.enabled) {
    parts_->audit = std::make_shared<AuditLog>(audit);
    AuditLog::track(parts_->audit);
    // A log opened by a reload groups its callers' responses like the one it replaces.
    if (previous && previous->parts_->completion_scope) {
      parts_->completion_scope = previous->parts_->completion_scope;
      parts_->audit->set_completion_scope(parts_->completion_scope);
    }
    // The caller's own credential is scrubbed wherever it appears, even pasted into arguments.
    // In the form the authenticator accepts it, so a key given with a trailing newline is still
    // found in an argument that quotes it without one.
    for (std::string& secret : credential_secrets(credential)) parts_->audit->redactor()->add_literal(std::move(secret));
    // At start-up a sink that cannot be opened is not fatal: calls are refused (fail closed)
    // until it works again, and the log recovers by itself. A reload that would swap a working
    // audit trail for one that does not work is refused instead: the running policy stays.
    if (!parts_->audit->open()) {
      const auto& was = previous ? previous->parts_->audit : nullptr;
      if (previous && (!was || was->healthy()))
        throw std::runtime_error("$.audit: the new audit trail cannot be written: " + parts_->audit->last_error());
      spdlog::error("audit: {}", parts_->audit->last_error());
    }
  }
  parts_->authenticator = std::make_unique<Authenticator>(identity, std::move(credential));
  if (same_dir && section(*old, "rateLimits") == section(config, "rateLimits")) {
    parts_->limiter = previous->parts_->limiter;
  } else if (previous) {
    // Changed limits apply to the buckets and in-flight counts as they are: a reload must not
    // hand every principal a fresh burst, or let a second call run beside one already running.
    const RateLimiter& was = *previous->parts_->limiter;
    std::shared_ptr<BucketStore> store = same_dir && same_store(was.config(), limits) ? was.shared_store() : nullptr;
    parts_->limiter = std::make_shared<RateLimiter>(std::move(limits), monotonic_now_ns, std::move(store),
                                                    was.shared_inflight());
  } else {
    parts_->limiter = std::make_shared<RateLimiter>(std::move(limits));
  }
  if (!redaction.global().empty() || !redaction.per_tool().empty())
    parts_->redaction = std::make_shared<const ResponseRedaction>(std::move(redaction));
}

AppPolicy::~AppPolicy() = default;

AuthDecision AppPolicy::authenticate() {
  AuthResult r = parts_->authenticator->authenticate(std::chrono::system_clock::now());
  return AuthDecision{r.ok, std::move(r.principal), std::move(r.reason)};
}

std::string AppPolicy::required_scope(const ToolManifest& tool) {
  return toolgate::required_scope(parts_->config, tool.name, tool.scope);
}

RateDecision AppPolicy::admit(const Principal& who, const ToolManifest& tool, std::unique_ptr<CallTicket>& ticket) {
  RateLimiter& limiter = *parts_->limiter;
  InFlightGuard guard = limiter.acquire_inflight(who);
  if (!guard) {
    Decision d = RateLimiter::inflight_decision(guard);
    return RateDecision{false, d.retry_after_seconds, d.limit, d.message};
  }
  std::optional<RateLimit> manifest_limit;
  if (tool.rate_limit) manifest_limit = RateLimit{tool.rate_limit->burst, tool.rate_limit->per_second};
  Decision d = limiter.check(who, tool.name, manifest_limit);
  if (!d.allowed) return RateDecision{false, d.retry_after_seconds, d.limit, d.message};
  if (d.failed_open) spdlog::warn("rate limits: {}", d.message);
  ticket = std::make_unique<InFlightTicket>(std::move(guard));
  return RateDecision{};
}

bool AppPolicy::filter_tool_list() { return !parts_->config.list_all_tools; }

std::string AppPolicy::tool_forbidden(const Principal& who, const std::string& tool) {
  return parts_->config.tenant_tools.refusal(who.tenant, tool);
}

bool AppPolicy::restricts_tools_by_tenant() { return !parts_->config.tenant_tools.empty(); }

bool AppPolicy::consent_needed(const Principal& who, const ToolManifest& tool) {
  const ConsentConfig& c = parts_->config.consent;
  auto it = c.tools.find(tool.name);
  bool needed = it != c.tools.end() ? it->second : tool.destructive();
  if (!needed) return false;
  for (const auto& x : c.exempt)
    if (x.tenant == who.tenant && (x.subject.empty() || x.subject == who.subject)) return false;
  return true;
}

bool AppPolicy::audit_ready(std::string& why) { return !parts_->audit || parts_->audit->ready(why); }

namespace {
// Moves out of the record: callers pass a copy, or one they no longer need.
AuditEntry entry_for(CallRecord&& r, const std::string& policy_digest) {
  AuditEntry e;
  e.actor = std::move(r.principal.subject);
  e.tenant = std::move(r.principal.tenant);
  e.tool = std::move(r.tool);
  e.plugin = std::move(r.plugin);
  e.plugin_version = std::move(r.plugin_version);
  e.input = std::move(r.input);
  e.outcome = parse_outcome(r.outcome).value_or(AuditOutcome::internal);
  e.latency_ms = r.latency_ms;
  e.error_code = std::move(r.error_code);
  e.error_message = std::move(r.error_message);
  e.request_id = std::move(r.request_id);
  if (!r.traceparent.empty()) e.trace_id = trace_id_from_traceparent(r.traceparent).value_or("");
  e.consent_id = std::move(r.consent_id);
  e.job_id = std::move(r.job_id);
  e.client_name = std::move(r.client_name);
  e.client_version = std::move(r.client_version);
  e.policy_digest = policy_digest;
  e.manifest_digest = std::move(r.manifest_digest);
  return e;
}
}  // namespace

bool AppPolicy::record(const CallRecord& r, std::string& why) {
  if (!parts_->audit) return true;
  AuditEntry e = entry_for(CallRecord(r), parts_->config.digest);
  if (parts_->audit->append(e)) return true;
  why = parts_->audit->last_error();
  return false;
}

void AppPolicy::record_then(CallRecord r, RecordDone done) {
  if (!parts_->audit) return done(true, "");
  parts_->audit->append_then(entry_for(std::move(r), parts_->config.digest), std::move(done));
}

void AppPolicy::set_completion_scope(CompletionScope scope) {
  parts_->completion_scope = scope;
  if (parts_->audit) parts_->audit->set_completion_scope(std::move(scope));
}

std::shared_ptr<const ResponseRedaction> AppPolicy::response_redaction() { return parts_->redaction; }

}  // namespace toolgate
