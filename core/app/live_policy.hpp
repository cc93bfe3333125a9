// The policy the server runs with, replaceable while it serves (reload on SIGHUP or when the
// policy file changes). Holds the current AppPolicy behind a shared_ptr: a call takes a snapshot
// when it starts (CallPolicy::snapshot) and keeps it to its audit entry, so calls in flight
// finish under the policy they started with while new calls see the new one; the old policy is
// destroyed when its last call ends. Every other method forwards to the current snapshot.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "app/app_policy.hpp"

namespace toolgate {

class LivePolicy : public CallPolicy {
 public:
  explicit LivePolicy(std::shared_ptr<AppPolicy> initial) : current_(std::move(initial)) {}

  std::shared_ptr<AppPolicy> current() const {
    std::lock_guard<std::mutex> l(mu_);
    return current_;
  }
  // Atomic: a call sees either the old policy or the new one, never a mix.
  void replace(std::shared_ptr<AppPolicy> next) {
    std::lock_guard<std::mutex> l(mu_);
    current_.swap(next);
    // `next` now holds the old policy; as a parameter it is released after the lock is.
  }

  std::shared_ptr<CallPolicy> snapshot() override { return current(); }
  AuthDecision authenticate() override { return current()->authenticate(); }
  std::string required_scope(const ToolManifest& tool) override { return current()->required_scope(tool); }
  RateDecision admit(const Principal& who, const ToolManifest& tool, std::unique_ptr<CallTicket>& ticket) override {
    return current()->admit(who, tool, ticket);
  }
  bool filter_tool_list() override { return current()->filter_tool_list(); }
  std::string tool_forbidden(const Principal& who, const std::string& tool) override {
    return current()->tool_forbidden(who, tool);
  }
  bool restricts_tools_by_tenant() override { return current()->restricts_tools_by_tenant(); }
  bool consent_needed(const Principal& who, const ToolManifest& tool) override {
    return current()->consent_needed(who, tool);
  }
  bool audit_ready(std::string& why) override { return current()->audit_ready(why); }
  bool record(const CallRecord& record, std::string& why) override { return current()->record(record, why); }
  void record_then(CallRecord record, RecordDone done) override {
    current()->record_then(std::move(record), std::move(done));
  }
  // Set once before serving; AppPolicy hands it on to the policies reloads build from it.
  void set_completion_scope(CompletionScope scope) override { current()->set_completion_scope(std::move(scope)); }
  std::shared_ptr<const ResponseRedaction> response_redaction() override { return current()->response_redaction(); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<AppPolicy> current_;
};

}  // namespace toolgate
