// Initialize-era protocol behaviour through the real binary: version negotiation, lifecycle
// ordering, tools/list shape per version and pagination, logging, batches, unknown methods.
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

json::object result_of(const json::value& response) { return response.as_object().at("result").as_object(); }
json::object error_of(const json::value& response) { return response.as_object().at("error").as_object(); }

const json::object* find_tool(const json::array& tools, const std::string& name) {
  for (const auto& t : tools)
    if (t.as_object().at("name") == name.c_str()) return &t.as_object();
  return nullptr;
}

}  // namespace

TEST(Protocol, EchoesEverySupportedVersion) {
  for (const char* v : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}) {
    RunningToolgate tg;
    json::object r = result_of(tg->initialize(v));
    EXPECT_EQ(r.at("protocolVersion"), v);
    EXPECT_EQ(r.at("serverInfo").as_object().at("name"), "toolgate");
    EXPECT_TRUE(r.at("capabilities").as_object().contains("tools"));
    EXPECT_TRUE(r.at("capabilities").as_object().contains("logging"));
  }
}

TEST(Protocol, UnknownVersionGetsLatest) {
  RunningToolgate tg;
  json::object r = result_of(tg->initialize("1999-01-01"));
  EXPECT_EQ(r.at("protocolVersion"), "2025-11-25");
}

TEST(Protocol, RequestsBeforeInitializeAreRefusedButPingWorks) {
  RunningToolgate tg;
  json::value list = tg->request("tools/list");
  EXPECT_EQ(error_of(list).at("code"), -32600);
  EXPECT_NE(std::string(error_of(list).at("message").as_string()).find("send initialize first"), std::string::npos);
  json::value ping = tg->request("ping");
  EXPECT_TRUE(ping.as_object().at("result").as_object().empty());
}

TEST(Protocol, SecondInitializeIsAnError) {
  RunningToolgate tg;
  tg->initialize();
  json::value again = tg->request("initialize", {{"protocolVersion", "2025-06-18"}, {"capabilities", json::object()}});
  EXPECT_EQ(error_of(again).at("code"), -32600);
}

TEST(Protocol, InitializeWithWrongParamTypesIsInvalidParams) {
  RunningToolgate tg;
  json::value r = tg->request("initialize", {{"protocolVersion", 20250618}});
  EXPECT_EQ(error_of(r).at("code"), -32602);
  EXPECT_NE(std::string(error_of(r).at("message").as_string()).find("protocolVersion"), std::string::npos);
}

TEST(Protocol, UnknownMethodsAreMethodNotFound) {
  RunningToolgate tg;
  tg->initialize();
  for (const char* m : {"resources/list", "prompts/list", "no/such"}) {
    json::value r = tg->request(m);
    EXPECT_EQ(error_of(r).at("code"), -32601) << m;
    EXPECT_NE(std::string(error_of(r).at("message").as_string()).find(m), std::string::npos);
  }
}

TEST(Protocol, ToolFieldsFollowTheNegotiatedVersion) {
  struct Case {
    const char* version;
    bool title, output, annotations, execution;
  } cases[] = {{"2024-11-05", false, false, false, false},
               {"2025-03-26", false, false, true, false},
               {"2025-06-18", true, true, true, false},
               {"2025-11-25", true, true, true, true}};
  for (const auto& c : cases) {
    RunningToolgate tg;
    tg->initialize(c.version);
    json::array tools = result_of(tg->request("tools/list")).at("tools").as_array();
    const json::object* t = find_tool(tools, "good_output");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->contains("title"), c.title) << c.version;
    EXPECT_EQ(t->contains("outputSchema"), c.output) << c.version;
    EXPECT_EQ(t->contains("annotations"), c.annotations) << c.version;
    EXPECT_EQ(t->contains("execution"), c.execution) << c.version;
    EXPECT_TRUE(t->contains("inputSchema"));
  }
}

TEST(Protocol, AnnotationsArePassedExactly) {
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  json::array tools = result_of(tg->request("tools/list")).at("tools").as_array();
  const json::object* echo = find_tool(tools, "echo");
  ASSERT_NE(echo, nullptr);
  json::object expected{{"readOnlyHint", true}, {"destructiveHint", false}, {"idempotentHint", true}, {"openWorldHint", false}};
  EXPECT_EQ(echo->at("annotations").as_object(), expected);
}

TEST(Protocol, ToolsListPaginatesWithOpaqueCursor) {
  RunningToolgate tg(R"("server":{"toolsPageSize":4})");
  tg->initialize();
  std::set<std::string> names;
  json::value cursor;
  int pages = 0;
  do {
    json::object params;
    if (!cursor.is_null()) params["cursor"] = cursor;
    json::object r = result_of(tg->request("tools/list", params));
    EXPECT_LE(r.at("tools").as_array().size(), 4u);
    for (const auto& t : r.at("tools").as_array()) names.insert(std::string(t.as_object().at("name").as_string()));
    cursor = r.contains("nextCursor") ? r.at("nextCursor") : json::value();
    ++pages;
  } while (!cursor.is_null() && pages < 20);
  EXPECT_EQ(names.size(), 18u);  // echo + 16 behaviours + no_result
  EXPECT_EQ(pages, 5);
}

TEST(Protocol, InvalidCursorIsInvalidParams) {
  RunningToolgate tg;
  tg->initialize();
  for (json::value bad : {json::value("garbage"), json::value(12), json::value("o:99999")}) {
    json::value r = tg->request("tools/list", {{"cursor", bad}});
    EXPECT_EQ(error_of(r).at("code"), -32602) << json::serialize(bad);
    EXPECT_NE(std::string(error_of(r).at("message").as_string()).find("invalid cursor"), std::string::npos);
  }
}

TEST(Protocol, LoggingSetLevelFiltersNotifications) {
  RunningToolgate tg;
  tg->initialize();
  json::value bad = tg->request("logging/setLevel", {{"level", "verbose"}});
  EXPECT_EQ(error_of(bad).at("code"), -32602);
  EXPECT_TRUE(result_of(tg->request("logging/setLevel", {{"level", "warning"}})).empty());
  json::object r = tg->call_tool("log_progress");
  EXPECT_EQ(r.at("content").as_array()[0].as_object().at("text"), "done");
  std::vector<std::string> levels;
  for (const auto& m : tg->others())
    if (m.as_object().at("method") == "notifications/message")
      levels.emplace_back(m.as_object().at("params").as_object().at("level").as_string());
  EXPECT_EQ(levels, std::vector<std::string>{"warning"});
}

TEST(Protocol, ProgressIsMonotonicAndOnlyWithToken) {
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  json::value id = 77;
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                             {"params", {{"name", "log_progress"}, {"arguments", json::object()}, {"_meta", {{"progressToken", "tok-1"}}}}}});
  tg->await_response(id);
  std::vector<double> progress;
  for (const auto& m : tg->others())
    if (m.as_object().at("method") == "notifications/progress") {
      const auto& p = m.as_object().at("params").as_object();
      EXPECT_EQ(p.at("progressToken"), "tok-1");
      EXPECT_EQ(p.at("total").to_number<double>(), 3.0);
      progress.push_back(p.at("progress").to_number<double>());
    }
  EXPECT_EQ(progress, (std::vector<double>{1, 2, 3}));
  tg->others().clear();
  tg->call_tool("log_progress");
  for (const auto& m : tg->others()) EXPECT_NE(m.as_object().at("method"), "notifications/progress");
}

TEST(Protocol, PluginTextThatIsNotUtf8ReachesTheClientAsReplacementCharacters) {
  // Every line must stay UTF-8 (read() fails on any that is not): log, progress and error text
  // from a plugin are repaired on the way in.
  RunningToolgate tg;
  tg->initialize("2025-06-18");
  EXPECT_TRUE(result_of(tg->request("logging/setLevel", {{"level", "warning"}})).empty());
  json::value id = 78;
  tg->send_json(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                             {"params", {{"name", "bad_utf8"}, {"arguments", json::object()}, {"_meta", {{"progressToken", "t"}}}}}});
  json::object r = tg->await_response(id).as_object().at("result").as_object();
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_NE(std::string(r.at("content").as_array()[0].at("text").as_string()).find("error \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd text"),
            std::string::npos)
      << json::serialize(r);
  std::vector<std::string> texts;
  for (const auto& m : tg->others()) {
    const json::object& p = m.as_object().at("params").as_object();
    if (m.as_object().at("method") == "notifications/message") texts.emplace_back(p.at("data").as_string());
    if (m.as_object().at("method") == "notifications/progress") texts.emplace_back(p.at("message").as_string());
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"log \xef\xbf\xbd\xef\xbf\xbd bytes", "progress \xef\xbf\xbd"}));
}

TEST(Protocol, BatchesOnlyIn20250326) {
  {
    RunningToolgate tg;
    tg->initialize("2025-03-26");
    tg->send(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/whatever"},)"
             R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"in a batch"}}}])");
    auto batch = tg->read();
    ASSERT_TRUE(batch && batch->is_array()) << (batch ? json::serialize(*batch) : "nothing");
    ASSERT_EQ(batch->as_array().size(), 2u);
    std::set<std::int64_t> ids;
    for (const auto& r : batch->as_array()) ids.insert(r.as_object().at("id").as_int64());
    EXPECT_EQ(ids, (std::set<std::int64_t>{1, 2}));
  }
  {
    RunningToolgate tg;
    tg->initialize("2025-06-18");
    tg->send(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
    auto r = tg->read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->as_object().at("error").as_object().at("code"), -32600);
    EXPECT_NE(std::string(r->as_object().at("error").as_object().at("message").as_string()).find("batches are not supported"),
              std::string::npos);
  }
}

TEST(Protocol, ResultsAreShapedForOlderClients) {
  RunningToolgate tg;
  tg->initialize("2024-11-05");
  json::object r = tg->call_tool("rich_content");
  EXPECT_FALSE(r.contains("structuredContent"));
  std::vector<std::string> types;
  for (const auto& c : r.at("content").as_array()) types.emplace_back(c.as_object().at("type").as_string());
  EXPECT_EQ(types, (std::vector<std::string>{"text", "image", "text", "text"}));

  RunningToolgate modern;
  modern->initialize("2025-06-18");
  json::object m = modern->call_tool("rich_content");
  EXPECT_EQ(m.at("structuredContent").as_object().at("count"), 3);
  types.clear();
  for (const auto& c : m.at("content").as_array()) types.emplace_back(c.as_object().at("type").as_string());
  EXPECT_EQ(types, (std::vector<std::string>{"text", "image", "audio", "resource_link"}));
}
