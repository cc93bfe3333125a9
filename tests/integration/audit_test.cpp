// The audit trail through the real binary: exactly one entry per call whatever its outcome, even
// under concurrency; entries validate against the shipped schema; the caller's credential never
// reaches the file; the chain verifies with `toolgate audit verify` and detects an edit; and a
// sink that cannot be written refuses calls (fail closed) and recovers by itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fixture.hpp"
#include "results.hpp"
#include "util/digest.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace toolgate::testing;

namespace {

std::string run_cli(const std::string& args, int& status) {
  TempDir t;
  std::string cmd = toolgate_binary() + " " + args + " > " + t.file("out") + " 2>&1";
  int rc = std::system(cmd.c_str());
  status = WEXITSTATUS(rc);
  return read_text(t.file("out"));
}

// `toolgate audit verify DIR` accepts the chain.
void expect_chain_verifies(const std::string& dir) {
  int status = 0;
  std::string out = run_cli("audit verify " + dir, status);
  EXPECT_EQ(status, 0) << out;
}

}  // namespace

TEST(Audit, ExactlyOneEntryPerCallWithMixedOutcomesUnderConcurrency) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  // 60 calls in flight at once: successes, tool errors, invalid input and internal errors.
  const char* tools[] = {"echo", "throws", "echo", "no_result"};
  for (int i = 0; i < 60; ++i) {
    json::object args = i % 4 == 0 ? json::object{{"text", "ok"}} : i % 4 == 2 ? json::object{{"text", 7}} : json::object{};
    tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", i}, {"method", "tools/call"},
                               {"params", {{"name", tools[i % 4]}, {"arguments", args}}}});
  }
  for (int i = 0; i < 60; ++i) tg->await_response(i);
  tg->close_stdin();
  ASSERT_TRUE(tg->wait_exit(std::chrono::seconds(5)));
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 60u);
  std::map<std::int64_t, std::string> outcome_by_id;
  for (const auto& e : all) outcome_by_id[e.at("requestId").as_int64()] = std::string(e.at("outcome").as_string());
  ASSERT_EQ(outcome_by_id.size(), 60u) << "each call exactly once";
  for (int i = 0; i < 60; ++i) {
    const char* expected = i % 4 == 0 ? "success" : i % 4 == 1 ? "tool_error" : i % 4 == 2 ? "invalid_input" : "internal";
    EXPECT_EQ(outcome_by_id[i], expected) << "call " << i;
  }
  const json::object& first = all.front();
  for (const char* field : {"id", "timestamp", "actor", "tenant", "tool", "outcome", "latencyMs", "requestId", "traceId",
                            "clientName", "policyDigest", "prev", "hash"})
    EXPECT_TRUE(first.contains(field)) << field;
  EXPECT_EQ(first.at("tenant"), "test");
  EXPECT_EQ(first.at("clientName"), "toolgate-tests");
}

// Workers do not wait for the audit writer (group commit with continuations), yet every
// response must find its entry already in the file: the test reads the file the moment each
// response arrives, with many calls in flight at once.
TEST(Audit, ConcurrentCallsEachHaveTheirEntryInTheFileBeforeTheirResponse) {
  RunningToolgate tg(R"("audit":{"directory":"audit"},"server":{"workers":8})");
  tg->initialize();
  constexpr int kCalls = 120;
  for (int i = 0; i < kCalls; ++i)
    tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", i}, {"method", "tools/call"},
                               {"params", {{"name", i % 3 ? "echo" : "throws"}, {"arguments", {{"text", "c" + std::to_string(i)}}}}}});
  std::set<std::int64_t> answered;
  while (answered.size() < static_cast<std::size_t>(kCalls)) {
    auto msg = tg->read(std::chrono::seconds(10));
    ASSERT_TRUE(msg) << "only " << answered.size() << " responses arrived";
    const json::object& o = msg->as_object();
    if (!o.contains("id")) continue;  // a notification
    std::int64_t id = o.at("id").as_int64();
    std::string file = read_text(tg.dir().file("audit/audit.jsonl"));
    EXPECT_NE(file.find("\"requestId\":" + std::to_string(id) + ","), std::string::npos)
        << "the response to call " << id << " left before its audit entry was in the file";
    EXPECT_TRUE(answered.insert(id).second) << "two responses for call " << id;
  }
  tg->close_stdin();
  ASSERT_TRUE(tg->wait_exit(std::chrono::seconds(5)));
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kCalls));
  std::map<std::int64_t, int> per_call;
  for (const auto& e : all) ++per_call[e.at("requestId").as_int64()];
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(per_call[i], 1) << "call " << i;
  expect_chain_verifies(tg.dir().file("audit"));
}

// Shutdown right after a burst of calls: stdin closes while entries are still queued for the
// writer; every call must still get its entry (and its response) before the process exits.
TEST(Audit, ShutdownWaitsForQueuedEntries) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  constexpr int kCalls = 80;
  for (int i = 0; i < kCalls; ++i)
    tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", i}, {"method", "tools/call"},
                               {"params", {{"name", "echo"}, {"arguments", {{"text", "s" + std::to_string(i)}}}}}});
  tg->close_stdin();
  std::set<std::int64_t> answered;
  while (auto msg = tg->read(std::chrono::seconds(10)))
    if (msg->as_object().contains("id")) answered.insert(msg->as_object().at("id").as_int64());
  ASSERT_TRUE(tg->wait_exit(std::chrono::seconds(5)));
  EXPECT_EQ(answered.size(), static_cast<std::size_t>(kCalls));
  auto all = audit_entries(tg.dir().file("audit"));
  std::set<std::int64_t> audited;
  for (const auto& e : all) audited.insert(e.at("requestId").as_int64());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kCalls));
  EXPECT_EQ(audited.size(), static_cast<std::size_t>(kCalls));
}

TEST(Audit, TraceIdComesFromTraceparent) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
                             {"params", {{"name", "echo"}, {"arguments", {{"text", "t"}}},
                                         {"_meta", {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}}}}});
  tg->await_response(1);
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
}

namespace {
// A policy with the echo plugin, an API-key file and the audit on, in `dir`; returns a new key
// for subject ann of tenant acme with `scopes`.
std::string policy_with_api_key(TempDir& dir, const std::string& scopes) {
  std::string plugins = dir.file("plugins");
  fs::create_directory(plugins);
  copy_plugin(staged_plugin_dir(), plugins, "echo");
  write_text(dir.file("policy.json"), "{\"plugins\":{\"directory\":\"" + plugins +
                                          "\"},\"identity\":{\"keysFile\":\"keys.json\"},\"audit\":{\"directory\":\"audit\"}}");
  int status = 0;
  std::string out =
      run_cli("keys create --config " + dir.file("policy.json") + " --subject ann --tenant acme --scopes " + scopes, status);
  EXPECT_EQ(status, 0) << out;
  std::size_t at = out.find("tgk_");
  return at == std::string::npos ? std::string() : out.substr(at, out.find_first_of(" \n", at) - at);
}
}  // namespace

TEST(Audit, DenialsAreAuditedAndSecretsAreRedacted) {
  TempDir dir;
  std::string key = policy_with_api_key(dir, "fx.read");
  ASSERT_FALSE(key.empty());
  McpProcess p({{"serve", "--config", dir.file("policy.json")}, {{"TOOLGATE_TOKEN", key}}});
  p.initialize();
  p.call_tool("echo", {{"text", "pasted " + key}, {"password", "hunter2"}});  // denied: no echo.read
  p.close_stdin();
  p.wait_exit(std::chrono::seconds(5));
  std::string file = read_text(dir.file("audit/audit.jsonl"));
  auto all = audit_entries(dir.file("audit"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("outcome"), "insufficient_scope");
  EXPECT_EQ(all[0].at("actor"), "ann");
  EXPECT_EQ(file.find(key.substr(key.rfind('_') + 1)), std::string::npos) << "the credential reached the audit file";
  EXPECT_EQ(file.find("hunter2"), std::string::npos) << "a secret-like key was not redacted";
}

TEST(Audit, CredentialGivenWithANewlineIsStillRedactedInKeysAndValues) {
  // A token read from a file often ends in a newline. Login trims it; redaction must look for
  // the same trimmed key, in argument values and in argument names alike.
  TempDir dir;
  std::string key = policy_with_api_key(dir, "echo.read");
  ASSERT_FALSE(key.empty());
  McpProcess p({{"serve", "--config", dir.file("policy.json")}, {{"TOOLGATE_TOKEN", key + "\n"}}});
  p.initialize();
  // echo takes no member of that name, so the call is refused as invalid input, and audited so.
  p.call_tool("echo", {{"text", "my key is " + key}, {key, "as a name"}});
  p.close_stdin();
  p.wait_exit(std::chrono::seconds(5));
  auto all = audit_entries(dir.file("audit"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("outcome"), "invalid_input");
  std::string file = read_text(dir.file("audit/audit.jsonl"));
  EXPECT_EQ(file.find(key.substr(key.rfind('_') + 1)), std::string::npos) << "the credential reached the audit file:\n" << file;
  EXPECT_NE(file.find("as a name"), std::string::npos) << "the member named after the key was dropped:\n" << file;
}

TEST(Audit, CredentialIsScrubbedFromEveryFieldTheCallerControls) {
  // Not only the arguments: a tool name, a request id and the client's name and version are the
  // caller's text too. An API key's secret half alone is as good as the key (its id is public).
  TempDir dir;
  std::string key = policy_with_api_key(dir, "echo.read");
  ASSERT_FALSE(key.empty());
  const std::string secret = key.substr(key.rfind('_') + 1);
  McpProcess p({{"serve", "--config", dir.file("policy.json")}, {{"TOOLGATE_TOKEN", key}}});
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                           {"params", {{"protocolVersion", "2025-06-18"}, {"capabilities", json::object()},
                                       {"clientInfo", {{"name", "cli " + key}, {"version", "Bearer abcdefghijklmnopqrstuvwxyz0123"}}}}}});
  p.await_response(0);
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", key}, {"method", "tools/call"},
                           {"params", {{"name", "echo"}, {"arguments", {{"text", "half " + secret}}}}}});
  p.await_response(json::value(key));
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/call"},
                           {"params", {{"name", key}, {"arguments", json::object()}}}});
  p.await_response(2);
  p.close_stdin();
  p.wait_exit(std::chrono::seconds(5));
  std::string file = read_text(dir.file("audit/audit.jsonl"));
  EXPECT_EQ(file.find(secret), std::string::npos) << "the credential reached the audit file:\n" << file;
  EXPECT_EQ(file.find("abcdefghijklmnopqrstuvwxyz0123"), std::string::npos) << "a bearer token reached the file:\n" << file;
  auto all = audit_entries(dir.file("audit"));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].at("requestId"), "[REDACTED]");
  EXPECT_EQ(all[0].at("clientName"), "cli [REDACTED]");
  EXPECT_EQ(all[0].at("clientVersion"), "Bearer [REDACTED]");
  EXPECT_EQ(all[0].at("input"), (json::object{{"text", "half [REDACTED]"}}));
  EXPECT_EQ(all[1].at("tool"), "[REDACTED]");
}

TEST(Audit, ACredentialCutByAFieldCapIsScrubbedAndStderrKeepsOneLinePerEvent) {
  // Fields are capped at 256 bytes: a key placed to straddle the cap must not leave its first
  // part in the file. stderr quotes the client's name: no key there either, and no forged line.
  TempDir dir;
  std::string key = policy_with_api_key(dir, "echo.read");
  ASSERT_FALSE(key.empty());
  const std::string secret_start = key.substr(key.rfind('_') + 1, 8);
  const std::string pad(256 - 40, 'A');  // 40 bytes of the key stay inside the cap
  const std::string forged = "ok\ntoolgate 2026-01-01T00:00:00.000 critical: FORGED ";
  McpProcess p({{"serve", "--config", dir.file("policy.json")}, {{"TOOLGATE_TOKEN", key}}});
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                           {"params", {{"protocolVersion", "2025-06-18"}, {"capabilities", json::object()},
                                       {"clientInfo", {{"name", forged + "\xc2\x85NEL " + key}, {"version", pad + key}}}}}});
  p.await_response(0);
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", pad + key}, {"method", "tools/call"},
                           {"params", {{"name", "echo"}, {"arguments", {{"text", "a"}}}}}});
  p.await_response(json::value(pad + key));
  p.send_json(json::object{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/call"},
                           {"params", {{"name", pad + key}, {"arguments", json::object()}}}});
  p.await_response(2);
  p.close_stdin();
  p.wait_exit(std::chrono::seconds(5));
  std::string file = read_text(dir.file("audit/audit.jsonl"));
  EXPECT_EQ(file.find(secret_start), std::string::npos) << "part of the credential reached the audit file:\n" << file;
  auto all = audit_entries(dir.file("audit"));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].at("requestId"), json::value(pad + "[REDACTED]"));
  EXPECT_EQ(all[1].at("tool"), json::value(pad + "[REDACTED]"));
  std::string err = p.stderr_text();
  EXPECT_EQ(err.find(secret_start), std::string::npos) << "part of the credential reached stderr:\n" << err;
  EXPECT_EQ(err.find("\ntoolgate 2026-01-01T00:00:00.000 critical: FORGED"), std::string::npos) << err;
  EXPECT_NE(err.find("session: client ok\n    toolgate 2026-01-01T00:00:00.000 critical: FORGED \\xc2\\x85NEL [REDACTED]"),
            std::string::npos)
      << err;
}

TEST(Audit, HugeInputsAreRecordedAsTheirSizeAndDigest) {
  // Every call gets an entry, refused ones too, so without a bound a few huge calls would push
  // older entries out of the rotating files.
  RunningToolgate tg(R"("audit":{"directory":"audit","maxInputBytes":1024})");
  tg->initialize();
  const std::string big(5000, 'x');
  tg->call_tool("echo", {{"text", big}});
  tg->call_tool("echo", {{"text", "small"}});
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", "u"}, {"method", "tools/call"},
                             {"params", {{"name", "no_such_tool"}, {"arguments", {{"blob", big}}}}}});
  tg->await_response(json::value("u"));
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 3u);
  const std::string serialised = json::serialize(json::object{{"text", big}});
  EXPECT_EQ(all[0].at("outcome"), "success");
  EXPECT_EQ(all[0].at("input"), (json::object{{"dev.toolgate/truncated",
                                               {{"bytes", serialised.size()}, {"sha256", toolgate::sha256_hex(serialised)}}}}));
  EXPECT_EQ(all[1].at("input"), (json::object{{"text", "small"}}));
  EXPECT_EQ(all[2].at("outcome"), "invalid_input");
  EXPECT_TRUE(all[2].at("input").as_object().contains("dev.toolgate/truncated"));
  expect_chain_verifies(tg.dir().file("audit"));
}

TEST(Audit, ToolCallsRefusedBeforeTheyStartAreAuditedToo) {
  // Unknown tool, malformed request, duplicate id: each is an attempt to call a tool, so each
  // gets its entry (and then its JSON-RPC error), like every other outcome.
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  auto call = [&](int id, json::object params) {
    tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", std::move(params)}});
    return tg->await_response(id).as_object().at("error").as_object();
  };
  EXPECT_EQ(call(1, {{"name", "no_such_tool"}, {"arguments", {{"q", 1}}}}).at("message"), "Unknown tool: no_such_tool");
  EXPECT_EQ(call(2, {{"name", "echo"}, {"arguments", json::array{1}}}).at("code"), -32602);
  EXPECT_EQ(call(3, {{"arguments", json::object()}}).at("message"), "tools/call: params.name must be a string");
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", 4}, {"method", "tools/call"},
                             {"params", {{"name", "wait_for_release"}, {"arguments", json::object()}}}});
  EXPECT_EQ(call(4, {{"name", "echo"}, {"arguments", {{"text", "again"}}}}).at("code"), -32600);
  tg->call_tool("release");
  tg->await_response(4);
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  std::map<std::string, json::object> refused;  // errorMessage -> entry
  for (const auto& e : audit_entries(tg.dir().file("audit")))
    if (e.at("outcome") == "invalid_input") refused[std::string(e.at("errorMessage").as_string())] = e;
  ASSERT_EQ(refused.size(), 4u);
  const json::object& unknown = refused.at("Unknown tool: no_such_tool");
  EXPECT_EQ(unknown.at("tool"), "no_such_tool");
  EXPECT_EQ(unknown.at("errorCode"), "-32602");
  EXPECT_EQ(unknown.at("requestId"), 1);
  EXPECT_EQ(unknown.at("input"), (json::object{{"q", 1}}));
  EXPECT_EQ(refused.at("tools/call: params.arguments must be an object").at("input"),
            (json::object{{"arguments", json::array{1}}}));
  EXPECT_EQ(refused.at("tools/call: params.name must be a string").at("tool"), "");
  EXPECT_EQ(refused.at("duplicate request id 4: a request with this id is still in flight").at("errorCode"), "-32600");
}

TEST(Audit, AHugeUnknownToolNameIsCutInTheAnswerAndTheEntry) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  const std::string huge(100000, 'n');
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"},
                             {"params", {{"name", huge}, {"arguments", json::object()}}}});
  json::object e = tg->await_response(1).as_object().at("error").as_object();
  EXPECT_EQ(e.at("message"), json::value("Unknown tool: " + std::string(256, 'n') + "..."));
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("tool"), json::value(std::string(256, 'n')));
  EXPECT_EQ(all[0].at("errorMessage"), e.at("message"));
}

TEST(Audit, VerifyAcceptsTheChainAndNamesAnEditedLine) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  for (int i = 0; i < 5; ++i) tg->call_tool("echo", {{"text", "e" + std::to_string(i)}});
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  std::string dir = tg.dir().file("audit");
  expect_chain_verifies(dir);
  int status = 0;
  std::string text = read_text(dir + "/audit.jsonl");
  auto at = text.find("\"e3\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, "\"E3\"");
  write_text(dir + "/audit.jsonl", text);
  std::string bad = run_cli("audit verify " + dir, status);
  EXPECT_EQ(status, 1) << bad;
  EXPECT_NE(bad.find("audit.jsonl:4"), std::string::npos) << bad;
}

TEST(Audit, EveryFieldTheCallerWritesIsBounded) {
  // A huge client name would otherwise be repeated in every entry of its session.
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  const std::string huge(10000, 'c');
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", 0}, {"method", "initialize"},
                             {"params", {{"protocolVersion", "2025-06-18"}, {"capabilities", json::object()},
                                         {"clientInfo", {{"name", huge}, {"version", huge}}}}}});
  tg->await_response(0);
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", huge}, {"method", "tools/call"},
                             {"params", {{"name", "echo"}, {"arguments", {{"text", "x"}}}}}});
  tg->await_response(json::value(huge));
  tg->close_stdin();
  tg->wait_exit(std::chrono::seconds(5));
  auto all = audit_entries(tg.dir().file("audit"));
  ASSERT_EQ(all.size(), 1u);
  for (const char* field : {"clientName", "clientVersion", "requestId"}) {
    EXPECT_EQ(all[0].at(field), json::value(std::string(256, 'c') + "...")) << field;
  }
}

TEST(Audit, ACallRefusedForWantOfAnAuditTrailSaysItDidNotRun) {
  // "Withheld" would tell the model (and whoever reads the error) that the tool acted.
  RunningToolgate tg(R"("audit":{"directory":"/proc/no-such-audit"})");
  tg->initialize();
  json::object refused = tg->call_tool("log_progress");
  EXPECT_EQ(refused.at("isError"), true);
  EXPECT_NE(text_of(refused).find("the call was refused because the audit trail cannot be written"), std::string::npos)
      << json::serialize(refused);
  EXPECT_TRUE(tg->others().empty()) << "the tool ran: " << json::serialize(tg->others().front());
}

TEST(Audit, UnwritableSinkFailsClosedAndRecovers) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  EXPECT_EQ(tg->call_tool("echo", {{"text", "before"}}).count("isError"), 0u);
  std::string dir = tg.dir().file("audit");
  fs::remove(dir + "/audit.jsonl");
  fs::create_symlink("/dev/full", dir + "/audit.jsonl");
  json::object refused = tg->call_tool("echo", {{"text", "during"}});
  EXPECT_EQ(refused.at("isError"), true);
  EXPECT_NE(json::serialize(refused).find("audit"), std::string::npos) << json::serialize(refused);
  fs::remove(dir + "/audit.jsonl");
  json::object after = tg->call_tool("echo", {{"text", "after"}});
  EXPECT_EQ(after.count("isError"), 0u) << json::serialize(after);
  EXPECT_NE(tg->stderr_text().find("audit"), std::string::npos);
}

// A pipelined burst is written by the audit log's writer thread (the reader hands it batches of
// 16 calls or more) with every response rendered ahead. When those entries cannot be written,
// each call must still get exactly one answer, the refusal, never the result it had ready.
TEST(Audit, APipelinedBurstWhoseEntriesCannotBeWrittenGetsRefusalsOnly) {
  RunningToolgate tg(R"("audit":{"directory":"audit"})");
  tg->initialize();
  std::string dir = tg.dir().file("audit");
  EXPECT_EQ(tg->call_tool("echo", {{"text", "before"}}).count("isError"), 0u);
  fs::remove(dir + "/audit.jsonl");
  fs::create_symlink("/dev/full", dir + "/audit.jsonl");
  constexpr int kCalls = 300;
  std::string burst;
  for (int i = 0; i < kCalls; ++i)
    burst += json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", 1000 + i}, {"method", "tools/call"},
                                          {"params", {{"name", "echo"}, {"arguments", {{"text", "secret-result"}}}}}}) +
             "\n";
  tg->send_raw(burst);
  std::set<std::int64_t> answered;
  while (answered.size() < static_cast<std::size_t>(kCalls)) {
    auto msg = tg->read(std::chrono::seconds(10));
    ASSERT_TRUE(msg) << "only " << answered.size() << " answers arrived";
    const json::object& o = msg->as_object();
    if (!o.contains("id")) continue;
    std::string text = json::serialize(o);
    EXPECT_TRUE(answered.insert(o.at("id").as_int64()).second) << "two answers: " << text;
    EXPECT_EQ(text.find("secret-result"), std::string::npos) << "a result left without its entry: " << text;
    // "withheld" once the call ran; "refused" when the pre-flight check already knew.
    EXPECT_TRUE(text.find("the result is withheld because the audit trail could not be written") != std::string::npos ||
                text.find("the call was refused because the audit trail cannot be written") != std::string::npos)
        << text;
  }
  fs::remove(dir + "/audit.jsonl");
  EXPECT_EQ(tg->call_tool("echo", {{"text", "after"}}).count("isError"), 0u);
  tg->close_stdin();
  ASSERT_TRUE(tg->wait_exit(std::chrono::seconds(5)));
}
