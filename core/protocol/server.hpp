// The MCP session engine for the initialize era: one instance per process (a stdio server serves
// one client). The reader thread hands it every line; it answers lifecycle, ping, tools/list and
// logging inline, and runs tools/call on the worker pool through ToolCall, so ping and
// notifications/cancelled are served while calls run and responses may leave out of order.
//
// Threading: handle_line/handle_oversized are called from the single reader thread. Everything
// else is thread-safe; ToolCall calls back into it from worker and deadline threads.
#pragma once

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jobs/deadline_watch.hpp"
#include "jobs/worker_pool.hpp"
#include "protocol/call_policy.hpp"
#include "protocol/client_requests.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/request_state.hpp"
#include "protocol/subscriptions.hpp"
#include "registry/tool_registry.hpp"
#include "transport/line_writer.hpp"

namespace toolgate {

class ToolCall;
struct CallExtras;
class JobEngine;
struct JobRecord;
class TaskMethods;

struct ServerOptions {
  std::string server_name = "toolgate";
  std::string server_version = "0.0.0";
  std::string instructions;
  std::size_t page_size = 100;
  std::int64_t default_timeout_ms = 60'000;
  std::int64_t client_request_timeout_ms = 60'000;
  std::int64_t consent_timeout_ms = 120'000;
  std::string request_state_key;  // HMAC key for 2026-era requestState; empty: random per process
  std::string request_state_spent_dir;  // where processes sharing that key record used tokens
};

inline constexpr const char* kStatelessVersion = "2026-07-28";

// What a call needs to know about the session it belongs to; copied into each call so later
// changes (a re-negotiation never happens, but log level does change) need no locking.
struct SessionInfo {
  std::string version;
  boost::json::object client_capabilities;
  std::string client_name;
  std::string client_version;
  bool stateless = false;  // 2026-07-28: capabilities and log level come with each request
  int log_level = 8;       // stateless only: per-request level; 8 = send no log messages
};

// Collects the responses of one JSON-RPC batch and writes them as one array line.
class BatchCollector {
 public:
  explicit BatchCollector(LineWriter& out) : out_(out) {}
  void expect() { std::lock_guard<std::mutex> l(mu_); ++outstanding_; }
  void add(std::string response);
  void skip();
  // Called once every member has been dispatched.
  void sealed();

 private:
  void maybe_flush();  // with mu_ held
  LineWriter& out_;
  std::mutex mu_;
  std::string joined_;
  std::size_t outstanding_ = 0;
  bool sealed_ = false;
  bool flushed_ = false;
};

class Server {
 public:
  Server(ServerOptions options, LineWriter& out, ToolRegistry& registry, WorkerPool& pool, DeadlineWatch& watch,
         CallPolicy& policy);
  ~Server();

  void handle_line(std::string_view line);
  void handle_oversized(std::size_t limit);
  // Waits until no call is in flight or `deadline` passes; then ends what remains as timeouts.
  // Returns the number of calls that had to be ended.
  std::size_t drain(std::chrono::steady_clock::time_point deadline);
  // Tells an initialized client the tool list changed (after a reload), and every 2026-07-28
  // subscriptions/listen stream that asked for tool list changes.
  void notify_tools_changed();
  // Serves job-mode tools and MCP tasks with `engine`; without it (null) they fail with
  // `unavailable` as the reason. Call once, before the first line is handled.
  void set_jobs(JobEngine* engine, std::string unavailable);
  JobEngine* jobs() { return jobs_; }
  const std::string& jobs_unavailable_reason() const { return jobs_unavailable_; }
  ToolRegistry& registry() { return registry_; }

  // Used by ToolCall.
  void respond(const std::shared_ptr<BatchCollector>& batch, std::string line);
  void skip_response(const std::shared_ptr<BatchCollector>& batch);
  void notify(std::string line);
  void call_finished(const std::string& id_key);
  int log_level() const { return log_level_.load(); }
  ClientRequests& client_requests() { return client_requests_; }
  RequestStateSealer& request_states() { return request_states_; }
  boost::json::object server_info_meta() const;
  const ServerOptions& options() const { return options_; }
  CallPolicy& policy() { return policy_; }
  // Why `who` may not reach the jobs of `tool` under the policy in force now (empty: they may):
  // the tenant's tool lists, or the scope the tool needs today, which a reload may have raised
  // since the job started.
  std::string job_tool_refusal(const Principal& who, const std::string& tool);
  // A stored job's result and texts, redacted by the response rules in force now (rules added
  // after the job finished apply to what is read from then on).
  void redact_stored_job(JobRecord& job);
  WorkerPool& pool() { return pool_; }
  DeadlineWatch& watch() { return watch_; }

 private:
  void dispatch(const boost::json::value& msg, const std::shared_ptr<BatchCollector>& batch);
  void handle_request(const Message& m, const std::shared_ptr<BatchCollector>& batch);
  void handle_notification(const Message& m);
  boost::json::value on_initialize(const Message& m, std::string& error, int& code);
  boost::json::value on_tools_list(const Message& m, std::string& error, int& code, const std::string& version);
  boost::json::value on_set_level(const Message& m, std::string& error, int& code);
  void on_tools_call(const Message& m, const std::shared_ptr<BatchCollector>& batch, const SessionInfo& session);
  // Decides whether a call runs as a 2025-11-25 task or a 2026 extension task; false after
  // replying with the error a misuse of params.task deserves.
  bool choose_task_mode(const Message& m, const std::shared_ptr<BatchCollector>& batch, const SessionInfo& session,
                        const ToolManifest& tool, CallExtras& extras);
  // 2026-07-28: requests that carry their protocol version and capabilities in _meta.
  void handle_stateless(const Message& m, const std::shared_ptr<BatchCollector>& batch);
  boost::json::value on_discover(const Message& m);
  void reply_error(const std::shared_ptr<BatchCollector>& batch, const boost::json::value& id, int code,
                   const std::string& message);
  // reply_error() for a tools/call refused before it became a call, after its audit entry
  // (server_refusals.cpp).
  void refuse_tool_call(const Message& m, const std::shared_ptr<BatchCollector>& batch, const SessionInfo& session,
                        int code, std::string message);
  // A requested tool name as answers and audit entries carry it: at most kShownToolNameBytes, and
  // valid UTF-8. A name no tool has may be huge (a probe).
  static constexpr std::size_t kShownToolNameBytes = 256;
  static std::string shown_tool_name(std::string_view name);
  // The same with "..." marking a cut, for messages (the log's redaction knows that mark).
  static std::string shown_in_message(std::string_view text);

  ServerOptions options_;
  LineWriter& out_;
  ToolRegistry& registry_;
  WorkerPool& pool_;
  DeadlineWatch& watch_;
  CallPolicy& policy_;
  ClientRequests client_requests_;
  RequestStateSealer request_states_;
  Subscriptions subscriptions_;
  JobEngine* jobs_ = nullptr;
  std::string jobs_unavailable_ = "no jobs state directory is configured";
  std::unique_ptr<TaskMethods> tasks_;

  // Session state: written by the reader thread only, read by it and copied into calls.
  std::atomic<bool> initialize_seen_{false};
  SessionInfo session_;
  std::atomic<int> log_level_;
  std::atomic<bool> initialized_{false};

  std::mutex inflight_mu_;
  std::condition_variable inflight_empty_;
  std::unordered_map<std::string, std::shared_ptr<ToolCall>> inflight_;
};

// Log levels in MCP order (syslog severities); index 0 is the most verbose.
int log_level_index(std::string_view name);
const char* log_level_name(int index);

}  // namespace toolgate
