// Hostile and sloppy input through the real binary: every case gets the answer the JSON-RPC and
// MCP specs ask for, and the server keeps serving afterwards (each test ends with a ping).
#include <gtest/gtest.h>

#include "fixture.hpp"

namespace json = boost::json;
using namespace toolgate::testing;

namespace {

json::object next_error(McpProcess& p) {
  auto m = p.read();
  if (!m) throw std::runtime_error("no response; stderr:\n" + p.stderr_text());
  if (!m->as_object().contains("error")) throw std::runtime_error("expected an error, got " + json::serialize(*m));
  return m->as_object().at("error").as_object();
}

void still_serving(McpProcess& p) {
  json::value r = p.request("ping");
  ASSERT_TRUE(r.as_object().contains("result")) << json::serialize(r);
}

std::string message_of(const json::object& e) { return std::string(e.at("message").as_string()); }

}  // namespace

TEST(BadInput, MalformedJsonIsParseError) {
  RunningToolgate tg;
  tg->initialize();
  for (const char* bad : {"{", "{\"jsonrpc\":\"2.0\",", "nonsense", "{\"a\":1}}", "[1,2"}) {
    tg->send(bad);
    json::object e = next_error(*tg);
    EXPECT_EQ(e.at("code"), -32700) << bad;
    EXPECT_NE(message_of(e).find("Parse error"), std::string::npos);
  }
  still_serving(*tg);
}

TEST(BadInput, InvalidRequestsAreInvalidRequest) {
  RunningToolgate tg;
  tg->initialize();
  struct Case {
    const char* line;
    const char* reason;
  } cases[] = {
      {R"({"jsonrpc":"1.0","id":1,"method":"ping"})", "\"jsonrpc\" must be \"2.0\""},
      {R"({"id":1,"method":"ping"})", "\"jsonrpc\" must be \"2.0\""},
      {R"({"jsonrpc":"2.0","id":1})", "missing \"method\""},
      {R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", "\"id\" must be a string or an integer"},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", "\"id\" must be a string or an integer"},
      {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", "\"id\" must be a string or an integer"},
      {R"({"jsonrpc":"2.0","id":1,"method":42})", "\"method\" must be a string"},
      {R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[1]})", "\"params\" must be an object"},
      {R"("just a string")", "must be an object"},
      {R"(17)", "must be an object"},
  };
  for (const auto& c : cases) {
    tg->send(c.line);
    json::object e = next_error(*tg);
    EXPECT_EQ(e.at("code"), -32600) << c.line;
    EXPECT_NE(message_of(e).find(c.reason), std::string::npos) << c.line << " -> " << message_of(e);
  }
  still_serving(*tg);
}

TEST(BadInput, WrongParamTypesAreInvalidParams) {
  RunningToolgate tg;
  tg->initialize();
  struct Case {
    json::object params;
    const char* reason;
  } cases[] = {
      {{{"name", 5}}, "params.name must be a string"},
      {{{"name", "echo"}, {"arguments", "text"}}, "params.arguments must be an object"},
      {{{"name", "no_such_tool"}}, "Unknown tool: no_such_tool"},
  };
  for (auto& c : cases) {
    json::value r = tg->request("tools/call", c.params);
    json::object e = r.as_object().at("error").as_object();
    EXPECT_EQ(e.at("code"), -32602);
    EXPECT_NE(message_of(e).find(c.reason), std::string::npos) << message_of(e);
  }
  still_serving(*tg);
}

TEST(BadInput, InvalidArgumentsAreToolErrorsNamingTheField) {
  RunningToolgate tg;
  tg->initialize();
  json::object r = tg->call_tool("echo", {{"text", 42}});
  EXPECT_EQ(r.at("isError"), true);
  std::string text(r.at("content").as_array()[0].as_object().at("text").as_string());
  EXPECT_NE(text.find("$.text"), std::string::npos) << text;
  EXPECT_EQ(r.at("_meta").as_object().at("dev.toolgate/error").as_object().at("code"), "invalid_input");
  json::object missing = tg->call_tool("echo", {});
  EXPECT_NE(json::serialize(missing).find("Missing required property 'text'"), std::string::npos);
  json::object extra = tg->call_tool("echo", {{"text", "a"}, {"sneaky", 1}});
  EXPECT_EQ(extra.at("isError"), true);
  EXPECT_NE(json::serialize(extra).find("sneaky"), std::string::npos);
}

TEST(BadInput, OversizedLineIsRejectedAndTheStreamContinues) {
  RunningToolgate tg("", {"--max-message-bytes", "4096"});
  tg->initialize();
  std::string big = R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"text":")" +
                    std::string(1 << 20, 'x') + "\"}}}";
  tg->send(big);
  json::object e = next_error(*tg);
  EXPECT_EQ(e.at("code"), -32600);
  EXPECT_NE(message_of(e).find("exceeds the maximum size of 4096 bytes"), std::string::npos);
  json::object r = tg->call_tool("echo", {{"text", "after the flood"}});
  EXPECT_EQ(r.at("content").as_array()[0].as_object().at("text"), "after the flood");
}

TEST(BadInput, InvalidUtf8IsParseError) {
  RunningToolgate tg;
  tg->initialize();
  tg->send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"\xff\xfe\"}}}");
  json::object e = next_error(*tg);
  EXPECT_EQ(e.at("code"), -32700);
  EXPECT_NE(message_of(e).find("UTF-8"), std::string::npos) << message_of(e);
  still_serving(*tg);
}

TEST(BadInput, DeepNestingIsRefusedWithoutCrashing) {
  RunningToolgate tg;
  tg->initialize();
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  tg->send(deep);
  json::object e = next_error(*tg);
  EXPECT_EQ(e.at("code"), -32700);
  EXPECT_NE(message_of(e).find("nesting deeper than 64 levels"), std::string::npos);
  still_serving(*tg);
}

TEST(BadInput, EmptyLinesCrlfStrayResponsesAndUnknownNotificationsAreQuiet) {
  RunningToolgate tg;
  tg->initialize();
  tg->send("");
  tg->send("   ");
  tg->send(R"({"jsonrpc":"2.0","id":"never-asked","result":{}})");
  // Broken responses are never answered either (an answer could start an endless exchange).
  tg->send(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
  tg->send(R"({"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"}})");
  tg->send(R"({"jsonrpc":"2.0","id":"tg-99","result":{},"error":{"code":1,"message":"both"}})");
  tg->send(R"({"jsonrpc":"2.0","method":"notifications/unheard_of","params":{}})");
  tg->send_raw("{\"jsonrpc\":\"2.0\",\"id\":\"crlf\",\"method\":\"ping\"}\r\n");
  auto r = tg->read();
  ASSERT_TRUE(r);
  // The first thing back is the CRLF ping's answer: nothing was said about the quiet lines.
  EXPECT_EQ(r->as_object().at("id"), "crlf");
  EXPECT_TRUE(r->as_object().contains("result"));
}

TEST(BadInput, IdsAreEchoedExactly) {
  RunningToolgate tg;
  tg->initialize();
  for (const char* id : {"0", "-1", "9223372036854775807", "18446744073709551615", "\"\"", "\"abc\"", "\"0\""}) {
    tg->send(std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}");
    auto r = tg->read();
    ASSERT_TRUE(r) << id;
    EXPECT_EQ(json::serialize(r->as_object().at("id")), id);
  }
}

TEST(BadInput, DuplicateInFlightIdIsAnError) {
  RunningToolgate tg;
  tg->initialize();
  const char* call = R"({"jsonrpc":"2.0","id":"dup","method":"tools/call","params":{"name":"wait_for_release","arguments":{}}})";
  tg->send(call);
  tg->send(call);
  json::value err = tg->await_response("dup");
  ASSERT_TRUE(err.as_object().contains("error")) << json::serialize(err);
  EXPECT_EQ(err.as_object().at("error").as_object().at("code"), -32600);
  EXPECT_NE(message_of(err.as_object().at("error").as_object()).find("still in flight"), std::string::npos);
  tg->call_tool("release");
  json::value first = tg->await_response("dup");
  EXPECT_EQ(first.as_object().at("result").as_object().at("content").as_array()[0].as_object().at("text"), "released");
}
