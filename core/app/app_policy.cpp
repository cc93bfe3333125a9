#include "app/app_policy.hpp"

#include <chrono>
#include <stdexcept>

#include "identity/authenticator.hpp"

namespace toolgate {

namespace json = boost::json;

struct AppPolicy::Parts {
  Config config;
  std::unique_ptr<Authenticator> authenticator;
};

AppPolicy::AppPolicy(const Config& config, std::string credential) : parts_(std::make_unique<Parts>()) {
  parts_->config = config;
  JsonErrors errors;
  JsonObjectReader root(&parts_->config.raw, "$", errors);
  JsonObjectReader identity_reader = root.object("identity");
  IdentityConfig identity = parse_identity_config(identity_reader, config.base_dir);
  if (errors.empty()) Authenticator::validate(identity, errors);
  if (!errors.empty()) throw std::runtime_error(errors.joined("\n  "));
  parts_->authenticator = std::make_unique<Authenticator>(identity, std::move(credential));
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

RateDecision AppPolicy::admit(const Principal&, const ToolManifest&, std::unique_ptr<CallTicket>&) { return {}; }

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
