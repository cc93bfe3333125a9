// The CallPolicy the executable runs with: identity, scope overrides, rate limits and audit
// composed from one Config. Immutable after construction except for the state its parts keep
// (buckets, audit chain), which they guard themselves. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "protocol/call_policy.hpp"

namespace toolgate {

class AppPolicy : public CallPolicy {
 public:
  // Throws std::runtime_error with every configuration problem if the parts cannot be built.
  AppPolicy(const Config& config, std::string credential);
  // For a reload: parts whose policy section did not change (the audit log with its open file
  // and chain, the rate limiter with its buckets) are shared with `previous` instead of rebuilt,
  // so a reload neither resets anyone's quota nor reopens the audit trail.
  AppPolicy(const Config& config, std::string credential, const AppPolicy& previous);
  const Config& config() const;
  ~AppPolicy() override;

  AuthDecision authenticate() override;
  std::string required_scope(const ToolManifest& tool) override;
  RateDecision admit(const Principal& who, const ToolManifest& tool, std::unique_ptr<CallTicket>& ticket) override;
  bool filter_tool_list() override;
  std::string tool_forbidden(const Principal& who, const std::string& tool) override;
  bool restricts_tools_by_tenant() override;
  bool consent_needed(const Principal& who, const ToolManifest& tool) override;
  bool audit_ready(std::string& why) override;
  bool record(const CallRecord& record, std::string& why) override;
  void record_then(CallRecord record, RecordDone done) override;
  void set_completion_scope(CompletionScope scope) override;
  std::shared_ptr<const ResponseRedaction> response_redaction() override;

 private:
  AppPolicy(const Config& config, std::string credential, const AppPolicy* previous);
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace toolgate
