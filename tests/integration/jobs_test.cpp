// Long-running tools through the real binary: a job-mode call answers at once with a job
// handle while the plugin runs; the host's job tools report progress, partials, the result and
// cancellation; jobs are bound to their principal, survive a restart in the state directory,
// expire after their TTL, and are capped per principal. The fx_jobs stepper advances only when
// the test calls `step`, so every expectation is about a state the test brought about.
#include <signal.h>

#include <regex>
#include <sstream>

#include "jobs_support.hpp"

#include <sqlite3.h>

using namespace toolgate::testing;
namespace json = boost::json;

TEST_F(JobsFixture, JobToolsAreListedWithScopesAndHonestAnnotations) {
  auto p = start(policy());
  json::object list = result_of(p->request("tools/list"));
  std::map<std::string, json::object> tools;
  for (const auto& t : list.at("tools").as_array()) tools[std::string(t.at("name").as_string())] = t.as_object();
  for (const char* name : {"job_status", "job_partial_results", "job_list", "job_cancel"}) ASSERT_TRUE(tools.count(name)) << name;
  EXPECT_EQ(tools["job_status"].at("annotations").at("readOnlyHint"), true);
  EXPECT_EQ(tools["job_cancel"].at("annotations").at("readOnlyHint"), false);
  EXPECT_EQ(tools["job_cancel"].at("annotations").at("destructiveHint"), false);
  // A job tool answers with a handle, so its own outputSchema is not advertised.
  EXPECT_FALSE(tools["stepper"].contains("outputSchema"));
}

TEST_F(JobsFixture, LifecycleStartProgressPartialsComplete) {
  auto p = start(policy());
  json::object started = p->call_tool("stepper", {{"channel", "life"}, {"steps", 3}});
  json::object handle = structured(started);
  std::string id(handle.at("jobId").as_string());
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{32}"))) << id;
  EXPECT_EQ(handle.at("status"), "running");
  EXPECT_EQ(handle.at("pollTool"), "job_status");
  EXPECT_EQ(handle.at("estimatedSeconds"), 45);
  EXPECT_NE(text_of(started).find("call job_status with {\"jobId\": \"" + id + "\"}"), std::string::npos);

  step(*p, "life");
  json::object s1 = job_status(*p, id);
  EXPECT_EQ(status_name(s1), "running");
  EXPECT_EQ(structured(s1).at("progress"), (json::object{{"progress", 1}, {"total", 3}, {"message", "step 1"}}));
  EXPECT_EQ(text_of(s1), "Job " + id + " (stepper) is running: 1 of 3 (step 1). Poll again with job_status.");

  json::object parts = p->call_tool("job_partial_results", {{"jobId", id}});
  json::array items = structured(parts).at("partials").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("seq"), 1);
  EXPECT_EQ(items[0].at("data"), (json::object{{"step", 1}}));

  step(*p, "life");
  EXPECT_EQ(structured(job_status(*p, id)).at("progress").at("progress"), 2);
  json::object newer = p->call_tool("job_partial_results", {{"jobId", id}, {"after", 1}});
  ASSERT_EQ(structured(newer).at("partials").as_array().size(), 1u);
  EXPECT_EQ(structured(newer).at("partials").as_array()[0].at("data"), (json::object{{"step", 2}}));
  EXPECT_EQ(structured(newer).at("nextAfter"), 2);

  step(*p, "life");
  json::object done = await_end(*p, id);
  ASSERT_EQ(status_name(done), "complete") << json::serialize(done);
  EXPECT_EQ(structured(done).at("result").at("structuredContent"), (json::object{{"channel", "life"}, {"steps", 3}}));
  EXPECT_EQ(text_of(done), "Job " + id + " (stepper) is complete.");
  EXPECT_EQ(done.at("content").as_array().size(), 2u);  // the summary, then the tool's own content

  json::object listed = p->call_tool("job_list");
  ASSERT_EQ(structured(listed).at("jobs").as_array().size(), 1u);
  EXPECT_EQ(structured(listed).at("jobs").as_array()[0].at("jobId"), json::value(id));
  EXPECT_EQ(structured(listed).at("jobs").as_array()[0].at("status"), "complete");
}

TEST_F(JobsFixture, ToolErrorMakesTheJobFailedWithTheToolsMessage) {
  auto p = start(policy());
  json::object r = p->call_tool("stepper", {{"channel", "bad"}, {"steps", 1}, {"fail", true}});
  std::string id(structured(r).at("jobId").as_string());
  step(*p, "bad");
  json::object done = await_end(*p, id);
  ASSERT_EQ(status_name(done), "failed");
  EXPECT_EQ(structured(done).at("error"), (json::object{{"code", "tool_error"}, {"message", "stepper failed on purpose"}}));
  EXPECT_EQ(text_of(done), "Job " + id + " (stepper) failed: stepper failed on purpose");
}

TEST_F(JobsFixture, CancelMidRunReachesThePlugin) {
  auto p = start(policy());
  std::string id = start_stepper(*p, "cx");
  step(*p, "cx");
  json::object cancelled = p->call_tool("job_cancel", {{"jobId", id}});
  EXPECT_EQ(text_of(cancelled), "Job " + id + " (stepper) was cancelled.");
  EXPECT_EQ(text_of(p->call_tool("await_cancel", {{"channel", "cx"}})), "cancel seen");
  json::object s = job_status(*p, id);
  EXPECT_EQ(status_name(s), "cancelled");
  EXPECT_EQ(structured(s).at("error").at("code"), "cancelled");
  EXPECT_EQ(structured(s).at("error").at("message"), "cancelled by anonymous with job_cancel");
  // Partials emitted before the cancellation stay readable.
  EXPECT_EQ(structured(p->call_tool("job_partial_results", {{"jobId", id}})).at("partials").as_array().size(), 1u);
  json::object again = p->call_tool("job_cancel", {{"jobId", id}});
  EXPECT_EQ(error_code(again), "job_finished");
  EXPECT_EQ(text_of(again), "job " + id + " already finished (cancelled); there is nothing to cancel");
}

TEST_F(JobsFixture, AnotherTenantGetsTheSameNotFoundAsAnUnknownId) {
  auto alpha = start(policy("alpha"));
  std::string id = start_stepper(*alpha, "iso", 2);
  step(*alpha, "iso");
  // A second process on the same state directory must not take alpha's running job for an orphan.
  auto beta = start(policy("beta"));
  std::string never = "0123456789abcdef0123456789abcdef";
  for (const char* tool : {"job_status", "job_partial_results", "job_cancel"}) {
    json::object theirs = beta->call_tool(tool, {{"jobId", id}});
    json::object unknown = beta->call_tool(tool, {{"jobId", never}});
    EXPECT_EQ(error_code(theirs), "job_not_found") << tool;
    EXPECT_EQ(text_of(theirs), not_found_text(id)) << tool;
    EXPECT_EQ(text_of(unknown), not_found_text(never)) << tool;
  }
  EXPECT_TRUE(structured(beta->call_tool("job_list")).at("jobs").as_array().empty());
  EXPECT_EQ(status_name(job_status(*alpha, id)), "running");
  step(*alpha, "iso");
  EXPECT_EQ(status_name(await_end(*alpha, id)), "complete");
}

namespace {
// Runs a one-step stepper job on `channel` to completion in `first`, which then exits cleanly;
// returns the job id.
std::string job_finished_by_a_past_process(std::unique_ptr<McpProcess> first, const std::string& channel) {
  std::string id = start_stepper(*first, channel, 1);
  step(*first, channel);
  EXPECT_EQ(status_name(await_end(*first, id)), "complete");
  first->close_stdin();
  EXPECT_EQ(first->wait_exit(10s), 0);
  return id;
}
}  // namespace

TEST_F(JobsFixture, FinishedResultSurvivesARestart) {
  std::string file = policy();
  std::string id = job_finished_by_a_past_process(start(file), "keep");
  auto second = start(file);
  json::object s = job_status(*second, id);
  ASSERT_EQ(status_name(s), "complete") << json::serialize(s);
  EXPECT_EQ(structured(s).at("result").at("structuredContent"), (json::object{{"channel", "keep"}, {"steps", 1}}));
}

TEST_F(JobsFixture, JobToolsStayWithinReachWhenNoJobCapablePluginIsLeft) {
  // The plugin that ran the job is gone after the restart: the job tools are no longer listed,
  // but the stored result can still be fetched (and a running job cancelled).
  std::string file = policy();
  std::string id = job_finished_by_a_past_process(start(file), "gone");
  std::filesystem::remove(plugins + "/fx_jobs.json");
  auto second = start(file);
  json::value list = second->request("tools/list");
  EXPECT_EQ(json::serialize(list).find("job_status"), std::string::npos) << json::serialize(list);
  json::object s = job_status(*second, id);
  EXPECT_EQ(status_name(s), "complete") << json::serialize(s);
  second->close_stdin();
  second->wait_exit(10s);
  // The plugin's absence does not lift a scope the policy raised for its tool.
  write_text(dir.file("policy-raised.json"),
             "{\"plugins\":{\"directory\":\"" + plugins + "\"},\"identity\":{\"anonymous\":{\"tenant\":\"test\","
             "\"scopes\":[\"jobs.read\"]}},\"tools\":{\"stepper\":{\"scope\":\"fx.admin\"}},\"jobs\":{\"stateDirectory\":\"" +
                 state + "\"}}");
  auto third = start(dir.file("policy-raised.json"));
  json::object refused = job_status(*third, id);
  EXPECT_EQ(refused.at("isError"), true) << json::serialize(refused);
  EXPECT_NE(text_of(refused).find("requires the scope 'fx.admin'"), std::string::npos) << json::serialize(refused);
}

TEST_F(JobsFixture, JobOfAKilledHostReportsHostRestarted) {
  std::string file = policy();
  std::string id;
  {
    auto first = start(file);
    id = start_stepper(*first, "kill", 3);
    step(*first, "kill");
    first->signal(SIGKILL);
    ASSERT_TRUE(first->wait_exit(10s).has_value());
  }
  auto second = start(file);
  json::object s = job_status(*second, id);
  ASSERT_EQ(status_name(s), "failed") << json::serialize(s);
  EXPECT_EQ(structured(s).at("error"),
            (json::object{{"code", "host_restarted"}, {"message", "host restarted before the job finished"}}));
  EXPECT_EQ(structured(s).at("progress").at("progress"), 1);  // what the job had reached stays visible
}

TEST_F(JobsFixture, CancelFromAnotherProcessReachesThePlugin) {
  // Two toolgates on one state directory: job_cancel in the second must stop the plugin running
  // in the first (it used to mark the job cancelled and let the plugin run to its timeout).
  std::string file = policy("test", R"("pollIntervalMs":100)");
  auto runner = start(file);
  auto other = start(file);
  std::string id = start_stepper(*runner, "xproc");
  step(*runner, "xproc");
  EXPECT_EQ(text_of(other->call_tool("job_cancel", {{"jobId", id}})), "Job " + id + " (stepper) was cancelled.");
  EXPECT_EQ(text_of(runner->call_tool("await_cancel", {{"channel", "xproc"}})), "cancel seen");
  EXPECT_EQ(status_name(job_status(*runner, id)), "cancelled");
  EXPECT_TRUE(runner->await_stderr("was ended by another toolgate process (cancelled); asking the plugin to stop"))
      << runner->stderr_text();
}

TEST_F(JobsFixture, JobsOfAProcessThatDiesAreFailedWhileOthersServe) {
  // The survivor was already running when the other process died: its periodic sweep, not a
  // restart, must end the dead process's jobs (and free their owners' job slots).
  std::string file = policy("test", R"("pollIntervalMs":100)");
  auto survivor = start(file);
  std::string id;
  {
    auto doomed = start(file);
    id = start_stepper(*doomed, "doomed", 3);
    step(*doomed, "doomed");
    doomed->signal(SIGKILL);
    ASSERT_TRUE(doomed->wait_exit(10s).has_value());
  }
  json::object s = await_end(*survivor, id);
  ASSERT_EQ(status_name(s), "failed") << json::serialize(s);
  EXPECT_EQ(structured(s).at("error").at("code"), "host_restarted");
}

TEST_F(JobsFixture, ResultsExpireAfterTheTtl) {
  // A TTL of 0: a job is visible while it runs and gone the moment it ends.
  auto p = start(policy("test", "\"resultTtlSeconds\":0"));
  std::string id = start_stepper(*p, "ttl", 1);
  EXPECT_EQ(status_name(job_status(*p, id)), "running");
  step(*p, "ttl");
  json::object gone = await_end(*p, id);
  EXPECT_EQ(status_name(gone), "error:job_not_found");
  EXPECT_EQ(text_of(gone), not_found_text(id));
}

TEST_F(JobsFixture, ConcurrentJobsAreCappedPerPrincipal) {
  auto p = start(policy("test", "\"maxConcurrentPerPrincipal\":2"));
  std::string a = start_stepper(*p, "cap1");
  start_stepper(*p, "cap2");
  json::object refused = p->call_tool("stepper", {{"channel", "cap3"}});
  ASSERT_EQ(refused.at("isError"), true);
  EXPECT_EQ(error_code(refused), "job_limit");
  EXPECT_EQ(text_of(refused),
            "you already have 2 running job(s), the most this server allows (jobs.maxConcurrentPerPrincipal = 2); wait "
            "for one to finish or cancel one with job_cancel, then try again");
  p->call_tool("job_cancel", {{"jobId", a}});
  json::object accepted = p->call_tool("stepper", {{"channel", "cap3"}});
  EXPECT_FALSE(accepted.contains("isError")) << json::serialize(accepted);
}

TEST_F(JobsFixture, JobsSectionErrorsNameTheirPath) {
  std::string file = dir.file("bad.json");
  write_text(file, "{\"plugins\":{\"directory\":\"" + plugins +
                       "\"},\"identity\":{\"anonymous\":{\"tenant\":\"t\",\"scopes\":[\"*\"]}},\"jobs\":{"
                       "\"maxConcurrentPerPrincipal\":0,\"retention\":5}}");
  McpProcess::Options o;
  o.args = {"serve", "--config", file};
  McpProcess p(o);
  EXPECT_EQ(p.wait_exit(10s), 2);
  EXPECT_NE(p.stderr_text().find("$.jobs.maxConcurrentPerPrincipal: expected an integer"), std::string::npos)
      << p.stderr_text();
  EXPECT_NE(p.stderr_text().find("$.jobs.retention: unknown field"), std::string::npos) << p.stderr_text();
}

TEST_F(JobsFixture, UnusableStateDirectoryNamedInThePolicyRefusesToStart) {
  write_text(dir.file("not-a-dir"), "x");
  std::string file = dir.file("p.json");
  write_text(file, "{\"plugins\":{\"directory\":\"" + plugins +
                       "\"},\"identity\":{\"anonymous\":{\"tenant\":\"t\",\"scopes\":[\"*\"]}},\"jobs\":{"
                       "\"stateDirectory\":\"" + dir.file("not-a-dir") + "/state\"}}");
  McpProcess::Options o;
  o.args = {"serve", "--config", file};
  McpProcess p(o);
  EXPECT_EQ(p.wait_exit(10s), 2);
  EXPECT_NE(p.stderr_text().find("jobs.stateDirectory: cannot create the jobs state directory"), std::string::npos)
      << p.stderr_text();
}

TEST_F(JobsFixture, StartPollsAndEndAreAuditedWithTheJobIdAndOneTrace) {
  std::string file = dir.file("audited.json");
  write_text(file, "{\"plugins\":{\"directory\":\"" + plugins +
                       "\"},\"identity\":{\"anonymous\":{\"tenant\":\"t\",\"scopes\":[\"*\"]}},\"jobs\":{"
                       "\"stateDirectory\":\"" + state + "\"},\"audit\":{\"directory\":\"" + dir.file("audit") + "\"}}");
  std::string id;
  {
    auto p = start(file);
    id = start_stepper(*p, "audit", 1);
    job_status(*p, id);
    step(*p, "audit");
    ASSERT_EQ(status_name(await_end(*p, id)), "complete");
    p->close_stdin();
    ASSERT_EQ(p->wait_exit(10s), 0);
  }
  std::vector<json::object> mine;
  std::istringstream lines(read_text(dir.file("audit") + "/audit.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    json::object e = json::parse(line).as_object();
    if (e.contains("jobId") && e.at("jobId") == json::value(id)) mine.push_back(e);
  }
  // The start, at least two polls, and the end of the job.
  ASSERT_GE(mine.size(), 4u);
  EXPECT_EQ(mine.front().at("tool"), "stepper");
  EXPECT_EQ(mine.front().at("outcome"), "job_started");
  std::size_t ends = 0;
  for (const auto& e : mine) {
    EXPECT_EQ(e.at("traceId"), mine.front().at("traceId")) << json::serialize(e);
    if (e.at("tool") == "stepper" && e.at("outcome") != "job_started") ++ends;
  }
  EXPECT_FALSE(mine.front().at("traceId").as_string().empty());
  EXPECT_EQ(ends, 1u);
}

TEST_F(JobsFixture, ABusyJobStoreRefusesTheJobAndTheServerKeepsServing) {
  // Another process holding SQLite's write lock past the store's busy timeout (an operator's
  // sqlite3 session, a backup) used to end the process from the periodic sweep or a job start.
  auto p = start(policy("test", "\"pollIntervalMs\":50"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((state + "/jobs.sqlite3").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  json::object refused = p->call_tool("stepper", {{"channel", "busy"}, {"steps", 1}});
  EXPECT_EQ(error_code(refused), "internal") << json::serialize(refused);
  EXPECT_NE(text_of(refused).find("the job could not be recorded, so it was not started: job store"), std::string::npos)
      << json::serialize(refused);
  EXPECT_TRUE(p->await_stderr("jobs: the periodic clean-up of the job store failed", 1, std::chrono::seconds(15)))
      << p->stderr_text();
  ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::string id = start_stepper(*p, "after", 1);
  step(*p, "after");
  EXPECT_EQ(status_name(await_end(*p, id)), "complete");
}

TEST_F(JobsFixture, ACancelledJobWhosePluginKeepsRunningDoesNotHoldUpTheNext) {
  // One job worker. The cancelled job's plugin ignores the cancel and keeps that worker; the pool
  // lends a stand-in, so the next job still runs (step returns only once its stepper took it).
  auto p = start(policy("test", "\"workers\":1"));
  json::object started = p->call_tool("stepper", {{"channel", "stubborn"}, {"steps", 2}, {"ignoreCancel", true}});
  ASSERT_FALSE(started.contains("isError")) << json::serialize(started);
  std::string stubborn(structured(started).at("jobId").as_string());
  step(*p, "stubborn");  // returns once the plugin runs: the cancel below finds it running
  EXPECT_EQ(status_name(p->call_tool("job_cancel", {{"jobId", stubborn}})), "cancelled");
  std::string next = start_stepper(*p, "after-cancel", 1);
  step(*p, "after-cancel");
  EXPECT_EQ(status_name(await_end(*p, next)), "complete");
  step(*p, "stubborn");  // lets the stubborn plugin return
}
