// JobEngine without plugins: recovery of jobs whose process died (audited through the
// observer with their trace), isolation of lookups, and cancelling a job no process runs.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "jobs/job_engine.hpp"
#include "test_dir.hpp"

using namespace toolgate;
using toolgate::testing::StateDir;

namespace {

JobsConfig config(const std::string& dir) {
  JobsConfig c;
  c.state_directory = dir;
  c.workers = 1;
  return c;
}

// A running job left by a process that is gone (its owner holds no lock).
void orphan(const std::string& dir, const std::string& id, const std::string& subject = "alice") {
  JobStore store(dir);
  JobRecord j;
  j.id = id;
  j.tenant = "acme";
  j.subject = subject;
  j.tool = "slow";
  j.plugin = "fx";
  j.owner = "00000000deadbeef";
  j.created_ms = j.updated_ms = now_epoch_ms();
  j.ttl_ms = 60000;
  j.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  std::int64_t running;
  store.insert_if_under_cap(j, 10, running);
}

Principal who(const std::string& subject = "alice", const std::string& tenant = "acme") {
  Principal p;
  p.subject = subject;
  p.tenant = tenant;
  return p;
}

}  // namespace

TEST(JobEngine, RecoverFailsOrphansAsHostRestartedAndReportsEach) {
  StateDir dir;
  ::mkdir((dir.path() + "/state").c_str(), 0700);
  orphan(dir.path() + "/state", "j1");
  DeadlineWatch watch;
  JobEngine engine(config(dir.path() + "/state"), watch);
  std::vector<JobEvent> events;
  engine.set_observer([&](const JobEvent& e) { events.push_back(e); });
  EXPECT_EQ(engine.recover(), 1u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome, "job_failed");
  EXPECT_EQ(events[0].job.id, "j1");
  EXPECT_EQ(events[0].job.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(events[0].principal.tenant, "acme");
  auto j = engine.find(who(), "j1");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::Failed);
  EXPECT_EQ(j->error_code, "host_restarted");
  EXPECT_EQ(j->error_message, "host restarted before the job finished");
  EXPECT_EQ(engine.recover(), 0u);  // once only
}

TEST(JobEngine, LookupsAreBoundToTenantAndSubject) {
  StateDir dir;
  orphan(dir.path(), "j2");
  DeadlineWatch watch;
  JobEngine engine(config(dir.path()), watch);
  EXPECT_TRUE(engine.find(who(), "j2"));
  EXPECT_FALSE(engine.find(who("bob"), "j2"));
  EXPECT_FALSE(engine.find(who("alice", "other"), "j2"));
  EXPECT_FALSE(engine.partials(who("bob"), "j2", 0, 10));
  JobRecord out;
  EXPECT_EQ(engine.cancel(who("bob"), "j2", "no", out), JobEngine::CancelResult::NotFound);
  EXPECT_TRUE(engine.list(who("bob"), std::nullopt, 10, 0).empty());
  EXPECT_FALSE(engine.when_terminal(who("bob"), "j2", [](const std::optional<JobRecord>&) { FAIL(); }));
}

TEST(JobEngine, CancellingAJobNoProcessHereRunsEndsItInTheStoreAndWakesWaiters) {
  StateDir dir;
  orphan(dir.path(), "j3");
  DeadlineWatch watch;
  JobEngine engine(config(dir.path()), watch);
  std::vector<std::string> outcomes;
  engine.set_observer([&](const JobEvent& e) { outcomes.push_back(e.outcome); });
  std::optional<JobRecord> woke;
  ASSERT_TRUE(engine.when_terminal(who(), "j3", [&](const std::optional<JobRecord>& r) { woke = r; }));
  JobRecord out;
  EXPECT_EQ(engine.cancel(who(), "j3", "stop it", out), JobEngine::CancelResult::Cancelled);
  EXPECT_EQ(out.status, JobStatus::Cancelled);
  EXPECT_EQ(outcomes, std::vector<std::string>{"job_cancelled"});
  ASSERT_TRUE(woke);
  EXPECT_EQ(woke->status, JobStatus::Cancelled);
  EXPECT_EQ(engine.cancel(who(), "j3", "again", out), JobEngine::CancelResult::AlreadyTerminal);
}

TEST(JobEngine, StateDirectoryIsPrivate) {
  StateDir dir;
  std::string state = dir.path() + "/nested/state";
  DeadlineWatch watch;
  JobEngine engine(config(state), watch);
  struct stat st{};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}
