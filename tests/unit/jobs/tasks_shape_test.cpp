// Task shapes of a job for both task protocols, and the timestamp format.
#include <gtest/gtest.h>

#include "jobs/tasks.hpp"

using namespace toolgate;
namespace json = boost::json;

namespace {
JobRecord base(JobStatus s) {
  JobRecord j;
  j.id = "0123456789abcdef0123456789abcdef";
  j.status = s;
  j.created_ms = 1764066600123;  // 2025-11-25T10:30:00.123Z
  j.updated_ms = 1764066601000;
  j.ttl_ms = 60000;
  j.result = json::object{{"content", json::array{json::object{{"type", "text"}, {"text", "bad"}}}}, {"isError", true}};
  return j;
}
}  // namespace

TEST(TaskShapes, Iso8601WithMilliseconds) { EXPECT_EQ(iso8601_utc(1764066600123), "2025-11-25T10:30:00.123Z"); }

TEST(TaskShapes, Mcp2025) {
  JobRecord j = base(JobStatus::Running);
  j.progress_message = "step 2";
  EXPECT_EQ(task_2025(j, 2000), (json::object{{"taskId", j.id},
                                              {"status", "working"},
                                              {"createdAt", "2025-11-25T10:30:00.123Z"},
                                              {"lastUpdatedAt", "2025-11-25T10:30:01.000Z"},
                                              {"statusMessage", "step 2"},
                                              {"ttl", 60000},
                                              {"pollInterval", 2000}}));
  JobRecord f = base(JobStatus::Failed);
  f.error_code = "tool_error";
  f.error_message = "bad";
  EXPECT_EQ(task_2025(f, 2000).at("status"), "failed");  // isError results fail a 2025 task
  EXPECT_EQ(task_2025(f, 2000).at("statusMessage"), "bad");
}

TEST(TaskShapes, Extension2026KeepsToolErrorsCompletedAndHostFailuresFailed) {
  JobRecord f = base(JobStatus::Failed);
  f.error_code = "tool_error";
  f.error_message = "bad";
  json::object t = task_2026(f, 500);
  EXPECT_EQ(t.at("status"), "completed");
  EXPECT_EQ(t.at("result").at("isError"), true);
  EXPECT_EQ(t.at("ttlMs"), 60000);
  EXPECT_EQ(t.at("pollIntervalMs"), 500);
  f.error_code = "host_restarted";
  f.error_message = "host restarted before the job finished";
  json::object h = task_2026(f, 500);
  EXPECT_EQ(h.at("status"), "failed");
  EXPECT_EQ(h.at("error"), (json::object{{"code", -32603}, {"message", "host restarted before the job finished"}}));
  EXPECT_FALSE(h.contains("result"));
}
