// One tools/call from arrival to its single response and single audit entry. It runs the policy
// pipeline in the fixed order (principal -> scope -> rate limit -> input validation -> invoke ->
// output validation), and it is the CallSink a plugin talks to through the host API.
//
// Exactly one of three parties finishes a call: the worker when the plugin returns, the deadline
// watch when it overruns, or drain() at shutdown. finish() is guarded by an atomic flag, so the
// audit entry and the response happen once whoever wins. A client-cancelled call is finished
// without a response. Lifetime: shared by the server's in-flight table, the worker task and the
// deadline callback; it dies when the last of them lets go.
#pragma once

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "jobs/job_engine.hpp"
#include "protocol/server.hpp"
#include "registry/host_api.hpp"

namespace toolgate {

// How a call that runs in the background answers: with a job handle (any client), a 2025-11-25
// CreateTaskResult (task-augmented call), or a 2026-07-28 tasks-extension task.
enum class TaskMode { None, Mcp2025, Extension2026 };

// What the client sent with a tools/call, beyond the tool and its arguments.
struct CallExtras {
  boost::json::value progress_token;  // null when absent
  std::string traceparent;            // W3C trace context from _meta.traceparent
  boost::json::value input_responses; // 2026-07-28 multi round-trip: answers to inputRequests
  std::string request_state;          // 2026-07-28: the sealed state we issued
  TaskMode task_mode = TaskMode::None;
  std::optional<std::int64_t> task_ttl_ms;  // 2025-11-25 params.task.ttl
};

class ToolCall : public CallSink, public std::enable_shared_from_this<ToolCall> {
 public:
  ToolCall(Server& server, boost::json::value id, std::shared_ptr<const ToolEntry> tool, boost::json::object args,
           CallExtras extras, SessionInfo session, std::shared_ptr<BatchCollector> batch);

  // Runs on a worker thread.
  void run();
  // The client sent notifications/cancelled for this call.
  void cancel_by_client();
  // The deadline passed (or the host is shutting down).
  void expire(const std::string& why);
  void set_deadline_id(std::uint64_t id) { deadline_id_ = id; }
  const std::string& key() const { return key_; }

  // CallSink
  void log(int level, std::string_view msg) override;
  int report_progress(double progress, double total, std::string_view msg) override;
  bool is_cancelled() override { return cancelled_.load(); }
  int emit_partial(std::string_view json) override;
  int set_result(std::string_view json) override;
  int set_error(std::string_view msg) override;
  int client_request(const std::string& method, std::string_view params_json, std::uint32_t timeout_ms,
                     std::string& reply) override;
  const Principal& principal() override { return principal_; }

 private:
  void deny(const std::string& outcome, const std::string& message, const boost::json::object& extra = {});
  // Ends a call that never started with `result` (an error_result); a task-augmented 2025-11-25
  // call gets it as a JSON-RPC error instead, since no task exists to answer with.
  void refuse(boost::json::object result, const std::string& outcome, const std::string& error_code,
              const std::string& message);
  // The JSON-RPC error that stands for a refusal with this audit outcome.
  static boost::json::object refusal_error(const std::string& outcome, const std::string& message,
                                           const boost::json::object& result);
  void invoke();
  // Host tools (job_status, ...) run in-process instead of in a plugin (tool_call_jobs.cpp).
  void invoke_builtin();
  // Job-mode tools and task-augmented calls: hand the call to the job engine and answer with
  // the job handle or task (tool_call_jobs.cpp).
  void start_job();
  void answer_job(const JobStarted& started);
  // Consent for destructive tools: true when the call may run; otherwise the call is finished.
  bool obtain_consent();
  bool consent_stateless();
  bool consent_by_elicitation();
  // Builds the audit record, writes it, then the response (a JSON-RPC error instead of the
  // result when `rpc_error` is an object). Only the first caller proceeds.
  void finish(boost::json::object result, const std::string& outcome, const std::string& error_code,
              const std::string& error_message, const boost::json::value& rpc_error = nullptr);
  // The second half of finish(), run once the audit entry is written (or refused): sends the
  // response, or withholds the result when the entry could not be written.
  void deliver(boost::json::object result, const boost::json::value& rpc_error, bool recorded, const std::string& why);
  // What a response needs besides its result, so that it can be rendered without the call.
  struct ReplyShape {
    Server* server;
    boost::json::value id;
    std::string version;     // the session's protocol version
    std::string consent_id;
    bool stateless = false;
    bool admitted = false;   // past every check: an unrecordable result is "withheld", not "refused"
    TaskMode task_mode = TaskMode::None;
  };
  ReplyShape reply_shape() const;
  // The response line for a result, or for `error` when that is an object (a JSON-RPC error).
  // The result is adapted to the session in place and left to the caller to free: on the audit
  // writer thread, the continuation holding it is freed back on the reader that built it.
  static std::string reply_line(const ReplyShape& shape, boost::json::object& result, const boost::json::value& error);
  // What the client gets once the entry is written or not: reply_line(), withheld_line(), or an
  // internal error if the result cannot be rendered (it never goes unanswered).
  static std::string answer_line(const ReplyShape& shape, boost::json::object& result, const boost::json::value& error,
                                 bool recorded, const std::string& why);
  // The answer instead when the call's audit entry could not be written.
  static std::string withheld_line(const ReplyShape& shape, const std::string& why);
  bool client_declared(const std::string& method) const;
  bool client_supports_form_elicitation() const;
  // Whether the client declared the mode an elicitation/create with these params would use.
  bool client_supports_elicitation_mode(const boost::json::object& params) const;

  Server& server_;
  boost::json::value id_;
  std::string key_;
  std::shared_ptr<const ToolEntry> tool_;
  boost::json::object args_;
  CallExtras extras_;
  std::string consent_id_;
  SessionInfo session_;
  std::shared_ptr<BatchCollector> batch_;
  Principal principal_;
  std::chrono::steady_clock::time_point started_;
  // Captured at construction: the call is checked and audited under one policy even if the
  // policy file is reloaded while it runs.
  std::shared_ptr<CallPolicy> policy_;
  std::uint64_t deadline_id_ = 0;
  std::string job_id_;              // for the audit record: the job this call started or polled
  std::string audit_traceparent_;   // a polled job's trace context, overriding the request's

  std::atomic<bool> cancelled_{false};
  std::atomic<bool> client_cancelled_{false};
  std::atomic<bool> finished_{false};
  // Past every check: the tool may have acted (or asked for consent), so a result that cannot be
  // audited is "withheld", not "refused".
  std::atomic<bool> admitted_{false};

  std::mutex mu_;  // guards the fields below
  std::optional<boost::json::object> result_;
  bool plugin_running_ = false;
  bool stand_in_lent_ = false;
  double last_progress_ = -1;
  std::shared_ptr<ClientRequests::Pending> waiting_on_;
};

}  // namespace toolgate
