#include "app/policy_reload.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace toolgate {

namespace json = boost::json;

namespace {

std::string shown(const json::value* v) { return v ? json::serialize(*v) : "(unset)"; }

// Compares one field; a difference becomes "$.path (old -> new)".
template <typename T>
void compare(std::vector<std::string>& out, const char* path, const T& a, const T& b) {
  if (a == b) return;
  if constexpr (std::is_same_v<T, std::string>)
    out.push_back(std::string(path) + " (\"" + a + "\" -> \"" + b + "\")");
  else
    out.push_back(std::string(path) + " (" + std::to_string(a) + " -> " + std::to_string(b) + ")");
}

const json::value* member(const Config& c, const char* section, const char* key) {
  const json::value* s = c.raw.if_contains(section);
  if (!s || !s->is_object()) return nullptr;
  return s->get_object().if_contains(key);
}

}  // namespace

std::vector<std::string> restart_only_changes(const Config& a, const Config& b) {
  std::vector<std::string> out;
  compare(out, "$.plugins.directory", a.server.plugin_dir, b.server.plugin_dir);
  compare(out, "$.plugins.manifestDirectory", a.server.manifest_dir, b.server.manifest_dir);
  for (const char* k : {"watch", "requireSigned", "trustedPublishers", "pinsFile", "onDefinitionChange", "config", "initTimeoutMs"}) {
    const json::value *x = member(a, "plugins", k), *y = member(b, "plugins", k);
    if ((x == nullptr) != (y == nullptr) || (x && *x != *y))
      out.push_back(std::string("$.plugins.") + k + " (" + shown(x) + " -> " + shown(y) + ")");
  }
  compare(out, "$.server.maxMessageBytes", a.server.max_message_bytes, b.server.max_message_bytes);
  compare(out, "$.server.workers", a.server.workers, b.server.workers);
  compare(out, "$.server.defaultTimeoutMs", a.server.default_timeout_ms, b.server.default_timeout_ms);
  compare(out, "$.server.shutdownGraceMs", a.server.shutdown_grace_ms, b.server.shutdown_grace_ms);
  compare(out, "$.server.clientRequestTimeoutMs", a.server.client_request_timeout_ms,
          b.server.client_request_timeout_ms);
  compare(out, "$.server.toolsPageSize", a.server.tools_page_size, b.server.tools_page_size);
  compare(out, "$.server.instructions", a.server.instructions, b.server.instructions);
  compare(out, "$.server.watchPolicyFile", a.server.watch_policy_file ? 1 : 0, b.server.watch_policy_file ? 1 : 0);
  compare(out, "$.consent.timeoutMs", a.consent.timeout_ms, b.consent.timeout_ms);
  compare(out, "$.consent.stateKeyFile", a.consent.state_key_file, b.consent.state_key_file);
  const json::value *ja = a.raw.if_contains("jobs"), *jb = b.raw.if_contains("jobs");
  if ((ja == nullptr) != (jb == nullptr) || (ja && *ja != *jb))
    out.push_back("$.jobs (" + shown(ja) + " -> " + shown(jb) + ")");
  const json::value *ta = member(a, "identity", "tokenEnv"), *tb = member(b, "identity", "tokenEnv");
  if ((ta == nullptr) != (tb == nullptr) || (ta && *ta != *tb))
    out.push_back("$.identity.tokenEnv (" + shown(ta) + " -> " + shown(tb) + ")");
  return out;
}

ReloadOutcome PolicyReloader::reload(const std::string& trigger, bool force) {
  std::lock_guard<std::mutex> l(mu_);
  ReloadOutcome out;
  std::shared_ptr<AppPolicy> running = live_.current();
  const Config& old = running->config();
  JsonErrors errors;
  std::optional<Config> next = effective_config(cli_, errors);
  if (!next) {
    out.message = "policy reload (" + trigger + ") refused, the running policy stays in force:\n  " +
                  errors.joined("\n  ");
    return out;
  }
  if (!force && next->digest == old.digest) {
    out.kind = ReloadOutcome::Kind::unchanged;
    out.message = "policy file unchanged (" + trigger + ")";
    return out;
  }
  std::vector<std::string> restart = restart_only_changes(old, *next);
  if (!restart.empty()) {
    std::string list;
    for (const auto& r : restart) list += "\n  " + r;
    out.message = "policy reload (" + trigger +
                  ") refused, the running policy stays in force: these settings take effect only at start-up, "
                  "restart toolgate to apply them:" + list;
    return out;
  }
  std::shared_ptr<AppPolicy> built;
  try {
    built = std::make_shared<AppPolicy>(*next, credential_, *running);
  } catch (const std::exception& e) {
    out.message = "policy reload (" + trigger + ") refused, the running policy stays in force:\n  " +
                  std::string(e.what());
    return out;
  }
  live_.replace(built);
  out.kind = ReloadOutcome::Kind::applied;
  out.message = "policy reloaded (" + trigger + "): " + next->file + " sha256 " + old.digest.substr(0, 12) + " -> " +
                next->digest.substr(0, 12);
  return out;
}

}  // namespace toolgate
