// Reloading the policy file while toolgate serves. A reload re-reads the file with the same
// command-line overrides, validates it completely (the file and every area's section), and only
// then swaps it in (LivePolicy::replace). Anything wrong keeps the running policy in force:
//   - an invalid file: every problem with its path;
//   - a change to a setting that only takes effect at start-up (plugin directories and trust,
//     worker and message limits, timeouts held by the session engine, jobs, the credential's
//     environment variable, consent's timeout and state key): the whole reload is refused with
//     a message that names the setting and says to restart.
// Serialised internally: SIGHUP and the file watcher may ask at the same time. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "app/live_policy.hpp"

namespace toolgate {

// The settings that differ between `running` and `next` but cannot change without a restart,
// each as "$.path (old -> new)". Empty when a reload may apply `next`.
std::vector<std::string> restart_only_changes(const Config& running, const Config& next);

struct ReloadOutcome {
  enum class Kind { applied, unchanged, refused } kind = Kind::refused;
  std::string message;  // one line (refusals list each problem on its own indented line)
};

class PolicyReloader {
 public:
  PolicyReloader(CliOptions cli, std::string credential, LivePolicy& live)
      : cli_(std::move(cli)), credential_(std::move(credential)), live_(live) {}

  // Re-reads and applies the file; `trigger` ("SIGHUP", "file change") goes into the message.
  // `force` applies even when the file's bytes did not change (SIGHUP: the operator asked).
  ReloadOutcome reload(const std::string& trigger, bool force);

 private:
  std::mutex mu_;
  CliOptions cli_;
  std::string credential_;
  LivePolicy& live_;
};

}  // namespace toolgate
