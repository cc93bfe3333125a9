// MCP tasks served by the job engine, through the real binary: the 2025-11-25 capability,
// execution.taskSupport, task-augmented tools/call, tasks/get, tasks/result, tasks/list,
// tasks/cancel and notifications/tasks/status; and the 2026-07-28 `io.modelcontextprotocol/tasks`
// extension (resultType "task", tasks/get with the result inlined, tasks/update, tasks/cancel).
#include "jobs_support.hpp"

#include <fstream>
#include <iterator>

using namespace toolgate::testing;
namespace json = boost::json;

namespace {

json::object tasks_caps() { return json::object{{"tasks", json::object{{"list", json::object()}, {"cancel", json::object()}}}}; }

json::object task_call(McpProcess& p, const std::string& channel, json::object extra = {}) {
  json::object params{{"name", "stepper"}, {"arguments", {{"channel", channel}, {"steps", 3}}}, {"task", {{"ttl", 60000}}}};
  for (auto& kv : extra) params[kv.key()] = kv.value();
  return result_of(p.request("tools/call", params));
}

json::value send_async(McpProcess& p, const std::string& id, const std::string& method, json::object params) {
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
  return json::value(id);
}

const json::object* find_notification(McpProcess& p, const std::string& method) {
  for (const auto& m : p.others())
    if (m.as_object().contains("method") && m.as_object().at("method") == json::value(method)) return &m.as_object();
  return nullptr;
}

json::object modern_meta(bool with_extension) {
  json::object caps;
  if (with_extension) caps["extensions"] = json::object{{"io.modelcontextprotocol/tasks", json::object()}};
  return json::object{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                      {"io.modelcontextprotocol/clientCapabilities", std::move(caps)}};
}

json::value modern(McpProcess& p, const std::string& method, json::object params, bool with_extension = true) {
  params["_meta"] = modern_meta(with_extension);
  return p.request(method, std::move(params));
}

}  // namespace

TEST_F(JobsFixture, TasksCapabilityOnlyFor20251125AndTaskSupportFromTheManifest) {
  McpProcess::Options o;
  o.args = {"serve", "--config", policy()};
  McpProcess p(o);
  json::object init = result_of(p.initialize("2025-11-25", tasks_caps()));
  EXPECT_EQ(init.at("capabilities").at("tasks"),
            (json::object{{"list", json::object()}, {"cancel", json::object()},
                          {"requests", {{"tools", {{"call", json::object()}}}}}}));
  McpProcess older(o);
  EXPECT_FALSE(result_of(older.initialize("2025-06-18")).at("capabilities").as_object().contains("tasks"));

  std::map<std::string, std::string> support;
  json::object list = result_of(p.request("tools/list"));
  for (const auto& t : list.at("tools").as_array())
    support[std::string(t.at("name").as_string())] = std::string(t.at("execution").at("taskSupport").as_string());
  EXPECT_EQ(support["stepper"], "optional");
  EXPECT_EQ(support["stepper_required"], "required");
  EXPECT_EQ(support["echo"], "forbidden");
  EXPECT_EQ(support["job_status"], "forbidden");
}

TEST_F(JobsFixture, TaskAugmentedCallLifecycle) {
  auto p = start(policy(), "2025-11-25", tasks_caps());
  json::object created = task_call(*p, "t1", {{"_meta", {{"progressToken", "pt-1"}}}});
  json::object task = created.at("task").as_object();
  std::string id(task.at("taskId").as_string());
  EXPECT_EQ(task.at("status"), "working");
  EXPECT_EQ(task.at("ttl"), 60000);
  EXPECT_EQ(task.at("pollInterval"), 2000);
  EXPECT_TRUE(task.at("createdAt").is_string());
  EXPECT_TRUE(task.at("lastUpdatedAt").is_string());

  EXPECT_EQ(result_of(p->request("tasks/get", {{"taskId", id}})).at("status"), "working");
  step(*p, "t1");
  const json::object* progress = find_notification(*p, "notifications/progress");
  ASSERT_NE(progress, nullptr);
  EXPECT_EQ(progress->at("params").at("progressToken"), "pt-1");
  EXPECT_EQ(progress->at("params").at("progress"), 1);
  EXPECT_EQ(progress->at("params").at("_meta").at("io.modelcontextprotocol/related-task").at("taskId"), json::value(id));

  json::array listed = result_of(p->request("tasks/list")).at("tasks").as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("taskId"), json::value(id));
  // A cursor that names no page is the spec's -32602, as is one past the end; so for job_list.
  json::object past = error_of(p->request("tasks/list", {{"cursor", "t:50"}}));
  EXPECT_EQ(past.at("code"), -32602);
  EXPECT_EQ(past.at("message"), "tasks/list: invalid cursor (past the end of the list)");
  json::object past_jobs = p->call_tool("job_list", {{"cursor", "50"}});
  EXPECT_EQ(error_code(past_jobs), "invalid_input") << json::serialize(past_jobs);

  // tasks/result blocks until the task ends.
  json::value rid = send_async(*p, "result-1", "tasks/result", {{"taskId", id}});
  step(*p, "t1");
  step(*p, "t1");
  json::object res = result_of(p->await_response(rid));
  EXPECT_EQ(res.at("structuredContent"), (json::object{{"channel", "t1"}, {"steps", 3}}));
  EXPECT_EQ(res.at("_meta").at("io.modelcontextprotocol/related-task").at("taskId"), json::value(id));

  const json::object* note = find_notification(*p, "notifications/tasks/status");
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->at("params").at("taskId"), json::value(id));
  EXPECT_EQ(note->at("params").at("status"), "completed");
  EXPECT_EQ(result_of(p->request("tasks/get", {{"taskId", id}})).at("status"), "completed");

  json::object refused = error_of(p->request("tasks/cancel", {{"taskId", id}}));
  EXPECT_EQ(refused.at("code"), -32602);
  EXPECT_EQ(refused.at("message"), "Cannot cancel task: already in terminal status 'completed'");
  // A task is a job: the job tools see the same thing.
  EXPECT_EQ(status_name(job_status(*p, id)), "complete");
}

TEST_F(JobsFixture, TasksCancelReachesThePluginAndErrorsAreTheSpecs) {
  auto p = start(policy(), "2025-11-25", tasks_caps());
  std::string id(task_call(*p, "t2").at("task").at("taskId").as_string());
  step(*p, "t2");
  json::object cancelled = result_of(p->request("tasks/cancel", {{"taskId", id}}));
  EXPECT_EQ(cancelled.at("taskId"), json::value(id));
  EXPECT_EQ(cancelled.at("status"), "cancelled");
  EXPECT_EQ(cancelled.at("statusMessage"), "cancelled by the client with tasks/cancel");
  EXPECT_EQ(text_of(p->call_tool("await_cancel", {{"channel", "t2"}})), "cancel seen");

  json::object unknown = error_of(p->request("tasks/get", {{"taskId", "0123456789abcdef0123456789abcdef"}}));
  EXPECT_EQ(unknown.at("code"), -32602);
  EXPECT_EQ(unknown.at("message"), "Failed to retrieve task: Task not found");
  EXPECT_EQ(error_of(p->request("tasks/get", json::object())).at("message"), "tasks/get: params.taskId must be a string");

  json::object forbidden = error_of(p->request(
      "tools/call", {{"name", "echo"}, {"arguments", {{"text", "x"}}}, {"task", json::object()}}));
  EXPECT_EQ(forbidden.at("code"), -32601);
  EXPECT_EQ(forbidden.at("message"),
            "tool echo does not support task-augmented execution (its execution.taskSupport is \"forbidden\")");
  json::object required = error_of(p->request("tools/call", {{"name", "stepper_required"}, {"arguments", {{"channel", "r"}}}}));
  EXPECT_EQ(required.at("code"), -32601);
  EXPECT_EQ(required.at("message"),
            "tool stepper_required must be called as a task (its execution.taskSupport is \"required\"): add params.task");
}

TEST_F(JobsFixture, APendingTaskResultIsAnsweredWhenAnotherProcessCancelsTheTask) {
  // Two processes share the state directory; B cancels the task A runs while A's client waits
  // on tasks/result. The wait must end with the cancelled result, not hang for good.
  std::string file = policy();
  auto a = start(file, "2025-11-25", tasks_caps());
  auto b = start(file, "2025-11-25", tasks_caps());
  std::string id(task_call(*a, "x1").at("task").at("taskId").as_string());
  json::value rid = send_async(*a, "result-x1", "tasks/result", {{"taskId", id}});
  EXPECT_EQ(result_of(b->request("tasks/cancel", {{"taskId", id}})).at("status"), "cancelled");
  EXPECT_EQ(text_of(a->call_tool("await_cancel", {{"channel", "x1"}})), "cancel seen");
  json::value answer = a->await_response(rid);
  ASSERT_TRUE(answer.as_object().contains("result")) << json::serialize(answer);
  EXPECT_EQ(answer.at("result").at("_meta").at("io.modelcontextprotocol/related-task").at("taskId"), json::value(id))
      << json::serialize(answer);
  EXPECT_EQ(answer.at("result").at("isError"), true) << json::serialize(answer);
}

TEST_F(JobsFixture, TaskNegotiationHangsOnTheServersCapabilityNotTheClients) {
  // A client's own `tasks` capability says what it accepts as a receiver. One that only sends
  // task-augmented requests declares none, and still gets tasks and the tool-level rules.
  auto p = start(policy(), "2025-11-25", json::object());
  json::object created = task_call(*p, "n1");
  ASSERT_TRUE(created.contains("task")) << json::serialize(created);
  EXPECT_EQ(created.at("task").at("status"), "working");
  EXPECT_EQ(error_of(p->request("tools/call", {{"name", "stepper_required"}, {"arguments", {{"channel", "n2"}}}}))
                .at("code"),
            -32601);
  EXPECT_EQ(error_of(p->request("tools/call", {{"name", "echo"}, {"arguments", {{"text", "x"}}}, {"task", json::object()}}))
                .at("code"),
            -32601);
}

TEST_F(JobsFixture, ATaskCallRefusedBeforeItStartsIsAJsonRpcError) {
  // No task was created, and a plain tool result would not parse as a CreateTaskResult.
  auto p = start(policy(), "2025-11-25", tasks_caps());
  json::object e = error_of(p->request(
      "tools/call", {{"name", "stepper"}, {"arguments", {{"channel", "bad"}, {"steps", "many"}}}, {"task", json::object()}}));
  EXPECT_EQ(e.at("code"), -32602) << json::serialize(e);
  EXPECT_NE(std::string(e.at("message").as_string()).find("invalid arguments for stepper"), std::string::npos)
      << json::serialize(e);
  EXPECT_EQ(e.at("data").at("dev.toolgate/error").at("code"), "invalid_input") << json::serialize(e);
}

TEST_F(JobsFixture, ATaskCallOverTheJobCapIsAJsonRpcErrorToo) {
  auto p = start(policy("test", "\"maxConcurrentPerPrincipal\":1"), "2025-11-25", tasks_caps());
  ASSERT_TRUE(task_call(*p, "cap1").contains("task"));
  json::object e = error_of(p->request(
      "tools/call", {{"name", "stepper"}, {"arguments", {{"channel", "cap2"}, {"steps", 3}}}, {"task", json::object()}}));
  EXPECT_EQ(e.at("code"), -32000) << json::serialize(e);
  EXPECT_EQ(e.at("data").at("dev.toolgate/error").at("code"), "job_limit") << json::serialize(e);
}

TEST_F(JobsFixture, AnotherTenantCannotSeeTasks) {
  auto alpha = start(policy("alpha"), "2025-11-25", tasks_caps());
  std::string id(task_call(*alpha, "t3").at("task").at("taskId").as_string());
  auto beta = start(policy("beta"), "2025-11-25", tasks_caps());
  for (const char* method : {"tasks/get", "tasks/result", "tasks/cancel"})
    EXPECT_EQ(error_of(beta->request(method, {{"taskId", id}})).at("message"), "Failed to retrieve task: Task not found")
        << method;
  EXPECT_TRUE(result_of(beta->request("tasks/list")).at("tasks").as_array().empty());
}

// The tenant's tool lists reach a tool's tasks too. After a reload denies the tool, the tasks
// it started can no longer be read, awaited or cancelled, and tasks/list leaves them out.
TEST_F(JobsFixture, TasksOfAToolTheTenantMayNoLongerUseAreRefused) {
  std::string file = policy();
  auto p = start(file, "2025-11-25", tasks_caps());
  std::string id(task_call(*p, "deny-me").at("task").at("taskId").as_string());
  ASSERT_EQ(result_of(p->request("tasks/list")).at("tasks").as_array().size(), 1u);

  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json::object doc = json::parse(text).as_object();
  doc["tenants"] = json::object{{"test", {{"denyTools", json::array{"stepper"}}}}};
  write_text(file, json::serialize(doc));
  ASSERT_TRUE(p->reload_by_sighup()) << p->stderr_text();

  const std::string why =
      " refused: tool stepper is forbidden for tenant 'test' by the policy (tenants.test.denyTools: \"stepper\")";
  for (const char* method : {"tasks/get", "tasks/result", "tasks/cancel"}) {
    json::object e = error_of(p->request(method, {{"taskId", id}}));
    EXPECT_EQ(e.at("code"), -32003) << method;
    EXPECT_EQ(e.at("message"), json::value(std::string(method) + why));
  }
  EXPECT_TRUE(result_of(p->request("tasks/list")).at("tasks").as_array().empty());
  // The job tools are no side door: the same job is out of reach through them too.
  const std::string job_why = "job " + id +
                              " belongs to tool stepper, which you may not use: tool stepper is forbidden for tenant "
                              "'test' by the policy (tenants.test.denyTools: \"stepper\")";
  for (const char* tool : {"job_status", "job_partial_results", "job_cancel"}) {
    json::object r = p->call_tool(tool, {{"jobId", id}});
    EXPECT_EQ(r.at("isError"), true) << tool;
    EXPECT_EQ(error_code(r), "forbidden") << tool;
    EXPECT_EQ(text_of(r), job_why) << tool;
  }
  json::object listed = p->call_tool("job_list", {});
  EXPECT_TRUE(listed.at("structuredContent").at("jobs").as_array().empty()) << json::serialize(listed);
  EXPECT_EQ(text_of(listed), "0 job(s)");
}

// tasks/* read and cancel jobs as job_status and job_cancel do, so they need the same scopes.
TEST_F(JobsFixture, TaskMethodsNeedTheScopesOfTheJobToolsTheyMirror) {
  std::string file = dir.file("policy-narrow.json");
  write_text(file, "{\"plugins\":{\"directory\":\"" + plugins +
                       "\"},\"identity\":{\"anonymous\":{\"tenant\":\"test\",\"scopes\":[\"fx.read\",\"jobs.read\"]}},"
                       "\"jobs\":{\"stateDirectory\":\"" + state + "\"}}");
  auto p = start(file, "2025-11-25", tasks_caps());
  std::string id(task_call(*p, "narrow").at("task").at("taskId").as_string());
  EXPECT_EQ(result_of(p->request("tasks/get", {{"taskId", id}})).at("taskId"), json::value(id));
  json::object e = error_of(p->request("tasks/cancel", {{"taskId", id}}));
  EXPECT_EQ(e.at("code"), -32003);
  EXPECT_EQ(e.at("message"),
            "tasks/cancel refused: it requires the scope 'jobs.cancel' (as job_cancel does), which your credential "
            "does not grant");
  EXPECT_EQ(e.at("data"), (json::object{{"requiredScope", "jobs.cancel"}}));
}

TEST_F(JobsFixture, TasksExtensionIn20260728) {
  McpProcess::Options o;
  o.args = {"serve", "--config", policy()};
  McpProcess p(o);
  json::object discover = result_of(modern(p, "server/discover", {}));
  EXPECT_EQ(discover.at("capabilities").at("extensions"), (json::object{{"io.modelcontextprotocol/tasks", json::object()}}));

  json::object created =
      result_of(modern(p, "tools/call", {{"name", "stepper"}, {"arguments", {{"channel", "x1"}, {"steps", 2}}}}));
  EXPECT_EQ(created.at("resultType"), "task");
  EXPECT_EQ(created.at("status"), "working");
  EXPECT_EQ(created.at("ttlMs"), 86400000);
  EXPECT_EQ(created.at("pollIntervalMs"), 2000);
  std::string id(created.at("taskId").as_string());

  json::object working = result_of(modern(p, "tasks/get", {{"taskId", id}}));
  EXPECT_EQ(working.at("resultType"), "complete");
  EXPECT_EQ(working.at("status"), "working");
  EXPECT_EQ(result_of(modern(p, "tasks/update", {{"taskId", id}, {"inputResponses", json::object()}})).at("resultType"),
            "complete");

  json::object step_args{{"name", "step"}, {"arguments", {{"channel", "x1"}}}};
  result_of(modern(p, "tools/call", step_args));
  result_of(modern(p, "tools/call", step_args));
  json::object done;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    done = result_of(modern(p, "tasks/get", {{"taskId", id}}));
    if (done.at("status") != "working") break;
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("result").at("structuredContent"), (json::object{{"channel", "x1"}, {"steps", 2}}));
  EXPECT_EQ(done.at("result").at("resultType"), "complete") << "the inlined result is a 2026 result too";

  json::object missing = error_of(modern(p, "tasks/cancel", {{"taskId", "0123456789abcdef0123456789abcdef"}}));
  EXPECT_EQ(missing.at("code"), -32602);
  EXPECT_EQ(missing.at("message"), "Failed to retrieve task: Task not found");
  EXPECT_EQ(error_of(modern(p, "tasks/list", {})).at("code"), -32601);

  json::object undeclared = error_of(modern(p, "tasks/get", {{"taskId", id}}, false));
  EXPECT_EQ(undeclared.at("code"), -32021);
  // Without the extension a job tool still works: it answers with a job handle.
  json::object handle =
      result_of(modern(p, "tools/call", {{"name", "stepper"}, {"arguments", {{"channel", "x2"}}}}, false));
  EXPECT_EQ(handle.at("resultType"), "complete");
  EXPECT_EQ(handle.at("structuredContent").at("pollTool"), "job_status");
}
