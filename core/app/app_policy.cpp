#include "app/app_policy.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

#include "identity/authenticator.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace toolgate {

namespace json = boost::json;

struct AppPolicy::Parts {
  Config config;
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<RateLimiter> limiter;
};

namespace {
// Keeps a principal's in-flight slot for as long as the call runs.
struct InFlightTicket : CallTicket {
  explicit InFlightTicket(InFlightGuard g) : guard(std::move(g)) {}
  InFlightGuard guard;
};
}  // namespace

AppPolicy::AppPolicy(const Config& config, std::string credential) : parts_(std::make_unique<Parts>()) {
  parts_->config = config;
  JsonErrors errors;
  JsonObjectReader root(&parts_->config.raw, "$", errors);
  JsonObjectReader identity_reader = root.object("identity");
  IdentityConfig identity = parse_identity_config(identity_reader, config.base_dir);
  JsonObjectReader limits_reader = root.object("rateLimits");
  RateLimitConfig limits = read_rate_limit_config(limits_reader);
  if (errors.empty()) Authenticator::validate(identity, errors);
  if (!errors.empty()) throw std::runtime_error(errors.joined("\n  "));
  parts_->authenticator = std::make_unique<Authenticator>(identity, std::move(credential));
  parts_->limiter = std::make_unique<RateLimiter>(std::move(limits));
}

AppPolicy::~AppPolicy() = default;

AuthDecision AppPolicy::authenticate() {
  AuthResult r = parts_->authenticator->authenticate(std::chrono::system_clock::now());
  return AuthDecision{r.ok, std::move(r.principal), std::move(r.reason)};
}

std::string AppPolicy::required_scope(const ToolManifest& tool) {
  auto it = parts_->config.tools.find(tool.name);
  if (it != parts_->config.tools.end() && it->second.scope) return *it->second.scope;
  return tool.scope;
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

bool AppPolicy::consent_needed(const Principal& who, const ToolManifest& tool) {
  const ConsentConfig& c = parts_->config.consent;
  auto it = c.tools.find(tool.name);
  bool needed = it != c.tools.end() ? it->second : tool.destructive();
  if (!needed) return false;
  for (const auto& x : c.exempt)
    if (x.tenant == who.tenant && (x.subject.empty() || x.subject == who.subject)) return false;
  return true;
}

bool AppPolicy::audit_ready(std::string&) { return true; }

bool AppPolicy::record(const CallRecord&, std::string&) { return true; }

}  // namespace toolgate
