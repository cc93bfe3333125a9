// JobStore: the cap check, terminal transitions as compare-and-set, visibility by TTL, partials
// in order, per-principal listing, and failing an owner's running jobs.
#include <gtest/gtest.h>

#include "jobs/job_store.hpp"
#include "test_dir.hpp"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace toolgate;
using toolgate::testing::StateDir;
namespace json = boost::json;

namespace {

JobRecord job(const std::string& id, const std::string& subject = "alice", std::int64_t created = 1000) {
  JobRecord j;
  j.id = id;
  j.tenant = "acme";
  j.subject = subject;
  j.tool = "slow";
  j.plugin = "fx";
  j.owner = "aaaa";
  j.created_ms = j.updated_ms = created;
  j.ttl_ms = 500;
  j.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  return j;
}

json::object done_result() { return json::object{{"content", json::array{json::object{{"type", "text"}, {"text", "ok"}}}}}; }

}  // namespace

TEST(JobStore, CapCountsOnlyThePrincipalsRunningJobs) {
  StateDir dir;
  JobStore store(dir.path());
  std::int64_t running = -1;
  EXPECT_TRUE(store.insert_if_under_cap(job("a"), 2, running));
  EXPECT_EQ(running, 0);
  EXPECT_TRUE(store.insert_if_under_cap(job("b"), 2, running));
  EXPECT_FALSE(store.insert_if_under_cap(job("c"), 2, running));
  EXPECT_EQ(running, 2);
  EXPECT_TRUE(store.insert_if_under_cap(job("d", "bob"), 2, running));  // bob has his own budget
  ASSERT_TRUE(store.finish("a", JobStatus::Complete, done_result(), "", "", 2000));
  EXPECT_TRUE(store.insert_if_under_cap(job("c"), 2, running));
  EXPECT_FALSE(store.get("c", 0)->result.has_value());
}

TEST(JobStore, FinishHappensOnceAndTheFirstStatusStays) {
  StateDir dir;
  JobStore store(dir.path());
  std::int64_t running;
  store.insert_if_under_cap(job("a"), 5, running);
  EXPECT_TRUE(store.finish("a", JobStatus::Cancelled, done_result(), "cancelled", "stop", 1500));
  EXPECT_FALSE(store.finish("a", JobStatus::Complete, done_result(), "", "", 1600));
  auto j = store.get("a", 1600);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->status, JobStatus::Cancelled);
  EXPECT_EQ(j->error_message, "stop");
  EXPECT_EQ(j->finished_ms, 1500);
}

TEST(JobStore, FinishKeepsTheLastProgressAlongWithTheOutcome) {
  // Progress is written through only every 200 ms while a job runs; the final step arrives with
  // the outcome, or a finished job would show an earlier one.
  StateDir dir;
  JobStore store(dir.path());
  std::int64_t running;
  store.insert_if_under_cap(job("a"), 5, running);
  store.insert_if_under_cap(job("b"), 5, running);
  store.set_progress("a", 1, 4, "step 1", 1100);
  store.set_progress("b", 1, 4, "step 1", 1100);
  ASSERT_TRUE(store.finish("a", JobStatus::Complete, done_result(), "", "", 1200, JobProgress{4, 4, "step 4"}));
  ASSERT_TRUE(store.finish("b", JobStatus::Complete, done_result(), "", "", 1200));
  auto a = store.get("a", 1200);
  ASSERT_TRUE(a && a->progress);
  EXPECT_EQ(*a->progress, 4);
  EXPECT_EQ(a->total, 4);
  EXPECT_EQ(a->progress_message, "step 4");
  EXPECT_EQ(a->status, JobStatus::Complete);
  auto b = store.get("b", 1200);  // without one, what was stored stays
  ASSERT_TRUE(b && b->progress);
  EXPECT_EQ(*b->progress, 1);
  EXPECT_EQ(b->progress_message, "step 1");
  // A job that was already finished keeps its progress as well as its status.
  EXPECT_FALSE(store.finish("a", JobStatus::Failed, done_result(), "x", "y", 1300, JobProgress{9, 9, "late"}));
  EXPECT_EQ(store.get("a", 1300)->progress_message, "step 4");
}

TEST(JobStore, FinishedJobsVanishAfterTheirTtlButRunningOnesNever) {
  StateDir dir;
  JobStore store(dir.path());
  std::int64_t running;
  store.insert_if_under_cap(job("a"), 5, running);
  EXPECT_TRUE(store.get("a", 1'000'000'000));  // running: visible however late
  store.finish("a", JobStatus::Complete, done_result(), "", "", 2000);
  EXPECT_TRUE(store.get("a", 2499));
  EXPECT_FALSE(store.get("a", 2500));  // finished + ttl (500 ms)
  store.purge_expired(2500);
  EXPECT_FALSE(store.get("a", 0));
}

TEST(JobStore, PartialsComeBackInOrderAfterACursor) {
  StateDir dir;
  JobStore store(dir.path());
  std::int64_t running;
  store.insert_if_under_cap(job("a"), 5, running);
  for (int i = 1; i <= 4; ++i) store.add_partial("a", i, "{\"n\":" + std::to_string(i) + "}", 1000 + i);
  auto after2 = store.partials("a", 2, 10);
  ASSERT_EQ(after2.size(), 2u);
  EXPECT_EQ(after2[0].seq, 3);
  EXPECT_EQ(after2[1].data, "{\"n\":4}");
  EXPECT_EQ(store.partials("a", 0, 1).size(), 1u);
}

TEST(JobStore, ListShowsOnlyThePrincipalsVisibleJobsNewestFirst) {
  StateDir dir;
  JobStore store(dir.path());
  std::int64_t running;
  store.insert_if_under_cap(job("old", "alice", 1000), 5, running);
  store.insert_if_under_cap(job("new", "alice", 3000), 5, running);
  store.insert_if_under_cap(job("bobs", "bob", 2000), 5, running);
  auto mine = store.list("acme", "alice", std::nullopt, 0, 10, 0);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, "new");
  EXPECT_EQ(mine[1].id, "old");
  EXPECT_TRUE(store.list("other", "alice", std::nullopt, 0, 10, 0).empty());
  store.finish("old", JobStatus::Complete, done_result(), "", "", 4000);
  EXPECT_EQ(store.list("acme", "alice", JobStatus::Running, 0, 10, 0).size(), 1u);
}

TEST(JobStore, FailRunningOfAnOwnerLeavesOthersAlone) {
  StateDir dir;
  JobStore store(dir.path());
  std::int64_t running;
  JobRecord mine = job("mine");
  mine.owner = "bbbb";
  store.insert_if_under_cap(job("dead"), 5, running);
  store.insert_if_under_cap(mine, 5, running);
  EXPECT_EQ(store.running_owners("bbbb"), std::vector<std::string>{"aaaa"});
  auto failed = store.fail_running_of("aaaa", done_result(), "host_restarted", "host restarted before the job finished", 5000);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].id, "dead");
  EXPECT_EQ(failed[0].status, JobStatus::Failed);
  EXPECT_EQ(failed[0].traceparent, job("x").traceparent);
  EXPECT_EQ(store.get("mine", 5000)->status, JobStatus::Running);
}

TEST(JobStore, DataSurvivesReopening) {
  StateDir dir;
  {
    JobStore store(dir.path());
    std::int64_t running;
    store.insert_if_under_cap(job("a"), 5, running);
    store.finish("a", JobStatus::Complete, done_result(), "", "", 2000);
  }
  JobStore again(dir.path());
  auto j = again.get("a", 2000);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->result->at("content").as_array()[0].at("text"), "ok");
}

TEST(JobStore, ProcessesOpeningANewStoreTogetherAllSucceed) {
  // Each JobStore is its own SQLite connection, as separate processes are. Opening a new database
  // switches it to WAL, a lock SQLite does not wait for: without taking turns, one of several
  // openers failed with "database is locked".
  for (int round = 0; round < 20; ++round) {
    StateDir dir;
    std::vector<std::thread> openers;
    std::atomic<int> failed{0};
    std::string first_error;
    std::mutex error_mu;
    for (int i = 0; i < 6; ++i)
      openers.emplace_back([&] {
        try {
          JobStore store(dir.path());
        } catch (const std::exception& e) {
          std::lock_guard lock(error_mu);
          if (failed++ == 0) first_error = e.what();
        }
      });
    for (auto& t : openers) t.join();
    ASSERT_EQ(failed.load(), 0) << first_error;
  }
}
