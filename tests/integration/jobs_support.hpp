// Shared helpers for the job and task integration tests: a plugin directory with the fx_jobs
// stepper, policies that point several processes at one state directory, and polls that wait
// for a job's state with a deadline (polling the real server, never sleeping a fixed time).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "fixture.hpp"
#include "results.hpp"

namespace toolgate::testing {

namespace json = boost::json;

class JobsFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins = dir.file("plugins");
    std::filesystem::create_directory(plugins);
    copy_plugin(staged_plugin_dir(), plugins, "echo");
    copy_plugin(fixture_plugin_dir(), plugins, "fx_jobs");
    state = dir.file("state");
  }
  // A policy for an anonymous principal of `tenant` on the shared state directory.
  std::string policy(const std::string& tenant = "test", const std::string& jobs_extra = "") {
    std::string file = dir.file("policy-" + tenant + ".json");
    write_text(file, "{\"plugins\":{\"directory\":\"" + plugins + "\"},\"identity\":{\"anonymous\":{\"tenant\":\"" +
                         tenant + "\",\"scopes\":[\"*\"]}},\"jobs\":{\"stateDirectory\":\"" + state + "\"" +
                         (jobs_extra.empty() ? "" : "," + jobs_extra) + "}}");
    return file;
  }
  std::unique_ptr<McpProcess> start(const std::string& policy_file, const std::string& version = "2025-06-18",
                                    json::object caps = {}) {
    McpProcess::Options o;
    o.args = {"serve", "--config", policy_file};
    auto p = std::make_unique<McpProcess>(o);
    p->initialize(version, std::move(caps));
    return p;
  }
  TempDir dir;
  std::string plugins;
  std::string state;
};

inline json::object structured(const json::object& r) { return r.at("structuredContent").as_object(); }
inline std::string error_code(const json::object& r) {
  return std::string(r.at("_meta").as_object().at("dev.toolgate/error").as_object().at("code").as_string());
}
inline json::object result_of(const json::value& r) {
  if (!r.as_object().contains("result")) throw std::runtime_error("expected a result: " + json::serialize(r));
  return r.as_object().at("result").as_object();
}
inline json::object error_of(const json::value& r) {
  if (!r.as_object().contains("error")) throw std::runtime_error("expected an error: " + json::serialize(r));
  return r.as_object().at("error").as_object();
}

inline std::string start_stepper(McpProcess& p, const std::string& channel, int steps = 3) {
  json::object r = p.call_tool("stepper", {{"channel", channel}, {"steps", steps}});
  EXPECT_FALSE(r.contains("isError")) << json::serialize(r);
  return std::string(structured(r).at("jobId").as_string());
}
inline void step(McpProcess& p, const std::string& channel) {
  json::object r = p.call_tool("step", {{"channel", channel}});
  ASSERT_FALSE(r.contains("isError")) << json::serialize(r);
}
inline json::object job_status(McpProcess& p, const std::string& id) { return p.call_tool("job_status", {{"jobId", id}}); }
inline std::string status_name(const json::object& r) {
  return r.contains("isError") ? "error:" + error_code(r) : std::string(structured(r).at("status").as_string());
}
// Polls job_status until the job is no longer running (the plugin returned and the engine
// recorded the end); fails the test after 10 s.
inline json::object await_end(McpProcess& p, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    json::object r = job_status(p, id);
    if (status_name(r) != "running" || std::chrono::steady_clock::now() > deadline) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // pacing only: the loop waits on state
  }
}
inline std::string not_found_text(const std::string& id) {
  return "job " + id + " not found: no job with this id is visible to you (unknown, expired, or started by another "
         "principal)";
}

}  // namespace toolgate::testing
