// Response redaction through the real binary: the policy's `redact.response` and
// `redact.perTool` paths hide fields of structuredContent and of JSON text content before the
// response leaves, for plain calls and for a job's partial results and result; the audit file
// never holds the hidden values; and `toolgate check` refuses a bad path naming where it is.
// The fx_secrets fixture returns fixed secret values the tests search for.
#include <gtest/gtest.h>

#include <filesystem>

#include "jobs_support.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace toolgate::testing;

namespace {

constexpr const char* kRedact =
    R"("redact":{"response":["$.data.private_ip","$..password","$.items[*].token"],"perTool":{"account":["$.owner.email"]}})";

class Redaction : public ::testing::Test {
 protected:
  void SetUp() override {
    plugins = dir.file("plugins");
    fs::create_directory(plugins);
    copy_plugin(fixture_plugin_dir(), plugins, "fx_secrets");
    write_text(dir.file("policy.json"),
               anonymous_policy(plugins, std::string(kRedact) + R"(,"audit":{"directory":"audit"})"));
    McpProcess::Options o;
    o.args = {"serve", "--config", dir.file("policy.json")};
    p = std::make_unique<McpProcess>(o);
    p->initialize();
  }
  std::string audit_text() { return read_text(dir.file("audit/audit.jsonl")); }
  std::vector<json::object> audit_entries() {
    std::vector<json::object> out;
    std::string text = audit_text();
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      out.push_back(json::parse(text.substr(start, nl - start)).as_object());
      start = nl == std::string::npos ? text.size() : nl + 1;
    }
    return out;
  }
  TempDir dir;
  std::string plugins;
  std::unique_ptr<McpProcess> p;
};

const json::value kRedactedAccount = json::parse(R"({
  "data": {"private_ip": "[REDACTED]", "public_ip": "203.0.113.9"},
  "password": "[REDACTED]",
  "items": [{"id": 1, "token": "[REDACTED]"}, {"id": 2, "token": "[REDACTED]"}],
  "nested": {"deep": {"password": "[REDACTED]"}},
  "owner": {"name": "Alice", "email": "[REDACTED]"}})");

}  // namespace

TEST_F(Redaction, StructuredContentAndItsJsonTextAreRedacted) {
  json::object r = p->call_tool("account");
  ASSERT_FALSE(r.contains("isError")) << json::serialize(r);
  EXPECT_EQ(r.at("structuredContent"), kRedactedAccount);
  // The text rendering of the same JSON is redacted alike (re-serialized).
  EXPECT_EQ(json::parse(text_of(r)), kRedactedAccount);
  std::string all = json::serialize(r);
  for (const char* secret : {"10.1.2.3", "hunter2-top", "tok-aaa", "tok-bbb", "deep-pw-1", "alice@corp.example"})
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " leaked: " << all;
}

TEST_F(Redaction, PerToolPathsApplyOnlyToTheirTool) {
  json::object r = p->call_tool("profile");
  ASSERT_FALSE(r.contains("isError")) << json::serialize(r);
  const json::array& content = r.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  // The global path hides private_ip; owner.email is only redacted for `account`.
  EXPECT_EQ(json::parse(content[0].at("text").as_string()),
            json::parse(R"({"owner":{"name":"Alice","email":"alice@corp.example"},"data":{"private_ip":"[REDACTED]"}})"));
  // Text that is not JSON is left alone: paths cannot address it.
  EXPECT_EQ(content[1].at("text"), "plain text, not JSON: 10.4.4.4");
}

TEST_F(Redaction, AuditEntryHoldsTheRedactedErrorTextAndNoSecretAtAll) {
  json::object failed = p->call_tool("failing");
  ASSERT_TRUE(failed.contains("isError"));
  EXPECT_EQ(json::parse(text_of(failed)), json::parse(R"({"error":"backend refused","data":{"private_ip":"[REDACTED]"}})"));
  p->call_tool("account");
  p->close_stdin();
  ASSERT_TRUE(p->wait_exit(5s));
  auto entries = audit_entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].at("outcome"), "tool_error");
  // The audit copy of the output is the redacted form the client saw.
  EXPECT_EQ(json::parse(entries[0].at("errorMessage").as_string()),
            json::parse(R"({"error":"backend refused","data":{"private_ip":"[REDACTED]"}})"));
  std::string file = audit_text();
  for (const char* secret : {"10.0.0.99", "10.1.2.3", "hunter2-top", "tok-aaa", "alice@corp.example"})
    EXPECT_EQ(file.find(secret), std::string::npos) << secret << " reached the audit file";
}

TEST_F(Redaction, JobPartialsAndResultAreRedactedBeforeTheyAreStored) {
  json::object started = p->call_tool("account_job");
  ASSERT_FALSE(started.contains("isError")) << json::serialize(started);
  std::string id(structured(started).at("jobId").as_string());
  json::object done = await_end(*p, id);
  ASSERT_EQ(status_name(done), "complete") << json::serialize(done);
  // The global paths apply; owner.email is a perTool path of `account`, not of `account_job`.
  json::value expected = kRedactedAccount;
  expected.at("owner").at("email") = "alice@corp.example";
  EXPECT_EQ(structured(done).at("result").at("structuredContent"), expected);
  json::object parts = p->call_tool("job_partial_results", {{"jobId", id}});
  json::array items = structured(parts).at("partials").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("data"), json::parse(R"({"step":1,"data":{"private_ip":"[REDACTED]"}})"));
  std::string seen = json::serialize(done) + json::serialize(parts);
  EXPECT_EQ(seen.find("10.7.7.7"), std::string::npos);
  EXPECT_EQ(seen.find("hunter2-top"), std::string::npos);
  p->close_stdin();
  ASSERT_TRUE(p->wait_exit(5s));
  for (const char* secret : {"10.7.7.7", "10.1.2.3", "hunter2-top"})
    EXPECT_EQ(audit_text().find(secret), std::string::npos) << secret;
}

namespace {
// fx_secrets served initialized, with no redact rules and no audit, from `dir`/plugins.
std::unique_ptr<McpProcess> serve_secrets_without_rules(TempDir& dir) {
  std::string plugins = dir.file("plugins");
  fs::create_directory(plugins);
  copy_plugin(fixture_plugin_dir(), plugins, "fx_secrets");
  write_text(dir.file("policy.json"), anonymous_policy(plugins, R"("audit":{"enabled":false})"));
  McpProcess::Options o;
  o.args = {"serve", "--config", dir.file("policy.json")};
  auto p = std::make_unique<McpProcess>(o);
  p->initialize();
  return p;
}
}  // namespace

TEST(RedactionPolicy, WithoutRedactRulesOutputIsUntouched) {
  TempDir dir;
  auto served = serve_secrets_without_rules(dir);
  McpProcess& p = *served;
  json::object r = p.call_tool("account");
  EXPECT_EQ(r.at("structuredContent").at("data").at("private_ip"), "10.1.2.3");
  EXPECT_EQ(r.at("structuredContent").at("owner").at("email"), "alice@corp.example");
}

TEST(RedactionPolicy, RulesAndScopesAddedLaterCoverStoredJobResults) {
  // An operator who finds a leak adds a rule: what was stored before is read through it too,
  // and a tool whose scope was raised keeps its stored results from callers without it.
  TempDir dir;
  auto served = serve_secrets_without_rules(dir);
  McpProcess& p = *served;
  std::string plugins = dir.file("plugins");
  std::string id(structured(p.call_tool("account_job")).at("jobId").as_string());
  ASSERT_EQ(status_name(await_end(p, id)), "complete");
  EXPECT_NE(json::serialize(p.call_tool("job_status", {{"jobId", id}})).find("hunter2-top"), std::string::npos);

  write_text(dir.file("policy.json.new"),
             anonymous_policy(plugins, std::string(kRedact) + R"(,"audit":{"enabled":false})"));
  fs::rename(dir.file("policy.json.new"), dir.file("policy.json"));
  ASSERT_TRUE(p.await_stderr("policy reloaded (file change)")) << p.stderr_text();
  std::string seen = json::serialize(p.call_tool("job_status", {{"jobId", id}})) +
                     json::serialize(p.call_tool("job_partial_results", {{"jobId", id}}));
  for (const char* secret : {"hunter2-top", "10.1.2.3", "10.7.7.7"})
    EXPECT_EQ(seen.find(secret), std::string::npos) << secret << " in " << seen;

  // The anonymous caller holds "*": a scope nobody holds keeps the job's result out of reach.
  write_text(dir.file("policy.json.new"),
             R"({"plugins":{"directory":")" + plugins +
                 R"("},"identity":{"anonymous":{"tenant":"test","scopes":["jobs.read"]}},"audit":{"enabled":false},)" +
                 R"("tools":{"account_job":{"scope":"fx.admin"}}})");
  fs::rename(dir.file("policy.json.new"), dir.file("policy.json"));
  ASSERT_TRUE(p.await_stderr("policy reloaded (file change)", 2)) << p.stderr_text();
  json::object refused = p.call_tool("job_status", {{"jobId", id}});
  EXPECT_EQ(refused.at("isError"), true) << json::serialize(refused);
  EXPECT_NE(text_of(refused).find("requires the scope 'fx.admin'"), std::string::npos) << json::serialize(refused);
}

TEST(RedactionPolicy, TheAdvertisedOutputSchemaAdmitsTheMark) {
  // good_output declares count an integer; once redacted it is a string, and a client that
  // validates results against the advertised schema must still accept it.
  RunningToolgate tg(R"("redact":{"response":["$.count"]})");
  tg->initialize();
  json::value list = tg->request("tools/list");
  json::object schema;
  for (const auto& t : list.at("result").at("tools").as_array())
    if (t.at("name") == "good_output") schema = t.at("outputSchema").as_object();
  ASSERT_FALSE(schema.empty()) << json::serialize(list);
  EXPECT_EQ(schema.at("properties").at("count"),
            json::parse(R"({"anyOf":[{"type":"integer"},{"const":"[REDACTED]"}]})"))
      << json::serialize(schema);
  json::object r = tg->call_tool("good_output");
  EXPECT_EQ(r.at("structuredContent").at("count"), "[REDACTED]");
}

TEST(RedactionPolicy, CheckAndServeRefuseABadPathNamingIt) {
  TempDir dir;
  std::string plugins = dir.file("plugins");
  fs::create_directory(plugins);
  copy_plugin(fixture_plugin_dir(), plugins, "fx_secrets");
  write_text(dir.file("policy.json"),
             anonymous_policy(plugins, R"("audit":{"enabled":false},"redact":{"response":["$.ok","data.password"],"perTool":{"account":["$.a[?(@.x)]"]}})"));
  std::string cmd = toolgate_binary() + " check --config " + dir.file("policy.json") + " >" + dir.file("out") +
                    " 2>&1 </dev/null";
  int rc = std::system(cmd.c_str());
  std::string out = read_text(dir.file("out"));
  EXPECT_EQ(WEXITSTATUS(rc), 1) << out;
  EXPECT_NE(out.find("$.redact.response[1]: invalid path \"data.password\": a path starts with '$'"), std::string::npos)
      << out;
  EXPECT_NE(out.find("$.redact.perTool.account[0]: invalid path \"$.a[?(@.x)]\""), std::string::npos) << out;
  EXPECT_NE(out.find("check failed"), std::string::npos) << out;

  McpProcess::Options o;
  o.args = {"serve", "--config", dir.file("policy.json")};
  McpProcess serve(o);
  auto status = serve.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_NE(*status, 0);
  EXPECT_NE(serve.stderr_text().find("$.redact.response[1]: invalid path"), std::string::npos) << serve.stderr_text();
}
