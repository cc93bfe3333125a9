#include "app/app_policy.hpp"

#include <stdexcept>

namespace toolgate {

namespace json = boost::json;

struct AppPolicy::Parts {
  Config config;
  std::string credential;
  bool anonymous = false;
  Principal anon;
};

AppPolicy::AppPolicy(const Config& config, std::string credential) : parts_(std::make_unique<Parts>()) {
  parts_->config = config;
  parts_->credential = std::move(credential);
  JsonErrors errors;
  JsonObjectReader root(&parts_->config.raw, "$", errors);
  JsonObjectReader identity = root.object("identity");
  JsonObjectReader anon = identity.object("anonymous");
  if (anon.present()) {
    parts_->anon.tenant = anon.string_or("tenant", "anonymous");
    parts_->anon.subject = "anonymous";
    parts_->anon.scopes = anon.string_array("scopes").value_or(std::vector<std::string>{});
    parts_->anon.credential_kind = "anonymous";
    parts_->anonymous = !parts_->anon.scopes.empty();
  }
  if (!errors.empty()) throw std::runtime_error(errors.joined());
}

AppPolicy::~AppPolicy() = default;

AuthDecision AppPolicy::authenticate() {
  AuthDecision d;
  if (parts_->anonymous) {
    d.ok = true;
    d.principal = parts_->anon;
    return d;
  }
  d.reason = "no credential: set TOOLGATE_TOKEN in the environment the client launches toolgate with";
  return d;
}

std::string AppPolicy::required_scope(const ToolManifest& tool) {
  auto it = parts_->config.tools.find(tool.name);
  if (it != parts_->config.tools.end() && it->second.scope) return *it->second.scope;
  return tool.scope;
}

RateDecision AppPolicy::admit(const Principal&, const ToolManifest&, std::unique_ptr<CallTicket>&) { return {}; }

bool AppPolicy::filter_tool_list() { return !parts_->config.list_all_tools; }

bool AppPolicy::audit_ready(std::string&) { return true; }

bool AppPolicy::record(const CallRecord&, std::string&) { return true; }

}  // namespace toolgate
