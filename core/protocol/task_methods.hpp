// MCP tasks over the job engine (a task is a job): the 2025-11-25 methods tasks/get,
// tasks/result, tasks/list and tasks/cancel for initialize-era sessions, and the 2026-07-28
// `io.modelcontextprotocol/tasks` extension's tasks/get, tasks/update and tasks/cancel for
// stateless requests that declare it. It is also the engine's observer: every terminal
// transition becomes its own audit record (job_complete, job_failed, job_cancelled) with the
// job's trace, and a notifications/tasks/status for tasks a 2025-11-25 session created.
//
// Each request is authenticated, rate-limited like the job tool it mirrors (tasks/cancel like
// job_cancel, the rest like job_status) and audited as a poll of its job; no extra scope is
// required, because a task can only be seen by the principal that created it. Unknown, expired
// and other principals' tasks all get "Failed to retrieve task: Task not found".
// Requests run on the server's worker pool; tasks/result waits without holding a thread.
// Lifetime: owned by the Server. Thread-safe.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>

#include "jobs/job_engine.hpp"
#include "protocol/jsonrpc.hpp"

namespace toolgate {

class Server;
class BatchCollector;
struct SessionInfo;

class TaskMethods {
 public:
  TaskMethods(Server& server, JobEngine& engine);

  // Answers one tasks/* request of either era (session.stateless picks the shapes).
  void handle(const Message& m, const std::shared_ptr<BatchCollector>& batch, const SessionInfo& session);
  // JobEngine observer.
  void on_job_event(const JobEvent& event);

 private:
  struct Request;
  void run(const std::shared_ptr<Request>& r);
  void get(const std::shared_ptr<Request>& r);
  void result(const std::shared_ptr<Request>& r);
  void list(const std::shared_ptr<Request>& r);
  void cancel(const std::shared_ptr<Request>& r);
  void update(const std::shared_ptr<Request>& r);
  // True, having answered, when the caller's tenant may no longer use `tool` (the policy changed
  // after the task started): its tasks are then out of reach like the tool itself.
  bool refuse_forbidden(const std::shared_ptr<Request>& r, const std::string& tool);
  // Audits the request, then sends `result` or the error.
  void reply(const std::shared_ptr<Request>& r, boost::json::value result, const std::string& outcome,
             int code = 0, std::string message = "", const boost::json::value& data = nullptr);

  Server& server_;
  JobEngine& engine_;
};

}  // namespace toolgate
