// JSON-RPC framing (core/protocol/jsonrpc.hpp): parse_json_line's depth cap and UTF-8 hint,
// classify() for every message shape and every invalid reason, id_key, and the exact shapes of
// the messages the host writes.
#include "protocol/jsonrpc.hpp"

#include <gtest/gtest.h>

#include <string>

namespace toolgate {
namespace {

namespace json = boost::json;
using Kind = Message::Kind;

json::value parse(std::string_view text) {
  json::value v;
  std::string err;
  EXPECT_TRUE(parse_json_line(text, v, err)) << err;
  return v;
}

std::string parse_error(std::string_view text) {
  json::value v;
  std::string err;
  EXPECT_FALSE(parse_json_line(text, v, err)) << text;
  return err;
}

std::string nested_arrays(unsigned depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(ParseJsonLine, ParsesAnObject) {
  json::value v = parse(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  EXPECT_EQ(v.at("method"), "ping");
}

TEST(ParseJsonLine, SyntaxErrorReason) {
  EXPECT_EQ(parse_error(R"({"jsonrpc":"2.0",)"), "incomplete JSON");
  EXPECT_EQ(parse_error(R"({"jsonrpc" "2.0"})"), "syntax error");
  EXPECT_EQ(parse_error(R"({} {})"), "extra data");
  EXPECT_EQ(parse_error(""), "incomplete JSON");
}

TEST(ParseJsonLine, DepthCapIsExactlyMaxDepth) {
  EXPECT_EQ(kMaxJsonDepth, 64u);
  parse(nested_arrays(kMaxJsonDepth));
  EXPECT_EQ(parse_error(nested_arrays(kMaxJsonDepth + 1)), "nesting deeper than 64 levels");
  EXPECT_EQ(parse_error(std::string(10000, '[')), "nesting deeper than 64 levels");
}

TEST(ParseJsonLine, InvalidUtf8IsNamed) {
  EXPECT_EQ(parse_error("{\"a\":\"\xff\xfe\"}"), "syntax error (the input is not valid UTF-8)");
  EXPECT_EQ(parse_error("{\"a\":\"\xc3\"}"), "syntax error (the input is not valid UTF-8)");  // truncated sequence
}

TEST(ParseJsonLine, ValidUtf8Parses) {
  json::value v = parse("{\"a\":\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac\"}");
  EXPECT_EQ(v.at("a"), "gr\xc3\xbc\xc3\x9f \xe2\x82\xac");
}

TEST(ParseJsonLine, ValidNonAsciiInputIsNotBlamedForASyntaxError) {
  EXPECT_EQ(parse_error("{\"a\":\"\xc3\xbc\",}"), "syntax error");  // the trailing comma is the fault
}

TEST(Classify, Request) {
  json::value v = parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo"}})");
  Message m = classify(v);
  EXPECT_EQ(m.kind, Kind::Request);
  EXPECT_EQ(m.id, json::value(7));
  EXPECT_EQ(m.method, "tools/call");
  ASSERT_NE(m.params, nullptr);
  EXPECT_EQ(m.params->at("name"), "echo");
  EXPECT_EQ(m.result, nullptr);
  EXPECT_EQ(m.error, nullptr);
  EXPECT_EQ(m.invalid_reason, "");
}

TEST(Classify, RequestIdsMayBeStringsZeroOrNegative) {
  for (const char* id : {R"("abc")", "0", "-5", "18446744073709551615", R"("")"}) {
    json::value v = parse(std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}");
    Message m = classify(v);
    EXPECT_EQ(m.kind, Kind::Request) << id;
    EXPECT_EQ(m.id, v.at("id")) << id;
    EXPECT_EQ(m.params, nullptr);
  }
}

TEST(Classify, Notification) {
  json::value v = parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  Message m = classify(v);
  EXPECT_EQ(m.kind, Kind::Notification);
  EXPECT_TRUE(m.id.is_null());
  EXPECT_EQ(m.method, "notifications/initialized");
  EXPECT_EQ(m.params, nullptr);
}

TEST(Classify, ResponseWithResult) {
  json::value v = parse(R"({"jsonrpc":"2.0","id":"s1","result":{"ok":true}})");
  Message m = classify(v);
  EXPECT_EQ(m.kind, Kind::Response);
  EXPECT_EQ(m.id, json::value("s1"));
  ASSERT_NE(m.result, nullptr);
  EXPECT_EQ(*m.result, json::parse(R"({"ok":true})"));
  EXPECT_EQ(m.error, nullptr);
}

TEST(Classify, ResponseWithNullResultIsStillAResult) {
  json::value v = parse(R"({"jsonrpc":"2.0","id":3,"result":null})");
  Message m = classify(v);
  EXPECT_EQ(m.kind, Kind::Response);
  ASSERT_NE(m.result, nullptr);
  EXPECT_TRUE(m.result->is_null());
}

TEST(Classify, ResponseWithError) {
  json::value v = parse(R"({"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"nope"}})");
  Message m = classify(v);
  EXPECT_EQ(m.kind, Kind::Response);
  EXPECT_EQ(m.result, nullptr);
  ASSERT_NE(m.error, nullptr);
  EXPECT_EQ(m.error->at("code"), -32601);
}

struct InvalidCase {
  const char* text;
  const char* reason;
  const char* id;  // expected id as JSON, "null" when not identifiable
};

TEST(Classify, InvalidShapesCarryTheirReason) {
  const InvalidCase cases[] = {
      {R"([1,2])", "a JSON-RPC message must be an object", "null"},
      {R"("ping")", "a JSON-RPC message must be an object", "null"},
      {R"(null)", "a JSON-RPC message must be an object", "null"},
      {R"({"id":1,"method":"ping"})", R"("jsonrpc" must be "2.0")", "1"},
      {R"({"jsonrpc":"1.0","id":"a","method":"ping"})", R"("jsonrpc" must be "2.0")", R"("a")"},
      {R"({"jsonrpc":2.0,"id":2,"method":"ping"})", R"("jsonrpc" must be "2.0")", "2"},
      {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", R"("id" must be a string or an integer)", "null"},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", R"("id" must be a string or an integer)", "null"},
      {R"({"jsonrpc":"2.0","id":{},"method":"ping"})", R"("id" must be a string or an integer)", "null"},
      {R"({"jsonrpc":"2.0","id":[1],"method":"ping"})", R"("id" must be a string or an integer)", "null"},
      {R"({"jsonrpc":"2.0","id":true,"method":"ping"})", R"("id" must be a string or an integer)", "null"},
      {R"({"jsonrpc":"2.0","id":5})", R"(missing "method")", "5"},
      {R"({"jsonrpc":"2.0"})", R"(missing "method")", "null"},
      {R"({"jsonrpc":"2.0","id":6,"method":42})", R"("method" must be a string)", "6"},
      {R"({"jsonrpc":"2.0","method":null})", R"("method" must be a string)", "null"},
      {R"({"jsonrpc":"2.0","id":8,"method":"x","params":[1,2]})", R"("params" must be an object)", "8"},
      {R"({"jsonrpc":"2.0","method":"x","params":null})", R"("params" must be an object)", "null"},
      {R"({"jsonrpc":"2.0","method":"x","params":"p"})", R"("params" must be an object)", "null"},
  };
  for (const auto& c : cases) {
    json::value v = parse(c.text);
    Message m = classify(v);
    EXPECT_EQ(m.kind, Kind::Invalid) << c.text;
    EXPECT_EQ(m.invalid_reason, c.reason) << c.text;
    // A usable id is kept even on invalid messages, so the error response can name the request.
    EXPECT_EQ(json::serialize(m.id), c.id) << c.text;
  }
}

TEST(Classify, MalformedResponsesAreStillResponsesSoNobodyAnswersThem) {
  // A client's own parse error has "id": null; answering it (or any broken response) could set
  // two peers answering each other for ever.
  const std::pair<const char*, const char*> cases[] = {
      {R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})",
       "a response needs the string or integer id of the request it answers"},
      {R"({"jsonrpc":"2.0","result":1})", "a response needs the string or integer id of the request it answers"},
      {R"({"jsonrpc":"2.0","id":1.5,"result":1})", "a response needs the string or integer id of the request it answers"},
      {R"({"jsonrpc":"2.0","id":5,"result":1,"error":{}})", R"(a response carries "result" or "error", not both)"},
      {R"({"id":5,"result":1})", R"("jsonrpc" must be "2.0")"},
  };
  for (const auto& [text, reason] : cases) {
    json::value v = parse(text);
    Message m = classify(v);
    EXPECT_EQ(m.kind, Kind::Response) << text;
    EXPECT_EQ(m.invalid_reason, reason) << text;
    EXPECT_EQ(m.result, nullptr) << text;
    EXPECT_EQ(m.error, nullptr) << text;
  }
}

TEST(IdKey, DistinguishesNumbersFromStrings) {
  EXPECT_NE(id_key(json::value(1)), id_key(json::value("1")));
  EXPECT_EQ(id_key(json::value(1)), "1");
  EXPECT_EQ(id_key(json::value("1")), "\"1\"");
  EXPECT_EQ(id_key(json::value(0)), "0");
  EXPECT_NE(id_key(json::value(0)), id_key(json::value(nullptr)));
  EXPECT_EQ(id_key(parse("1")), id_key(json::value(1)));  // same id from the wire and from code
  EXPECT_EQ(id_key(json::value("a\"b")), R"("a\"b")");
}

TEST(MakeMessages, ResponseShape) {
  json::value got = json::parse(make_response(json::value(3), json::object{{"tools", json::array{}}}));
  EXPECT_EQ(got, json::parse(R"({"jsonrpc":"2.0","id":3,"result":{"tools":[]}})"));
  EXPECT_EQ(make_response(json::value("x"), json::object{}), R"({"jsonrpc":"2.0","id":"x","result":{}})");
}

TEST(MakeMessages, ErrorWithoutDataHasNoDataField) {
  EXPECT_EQ(make_error(json::value(9), rpc::kMethodNotFound, "Method not found: foo"),
            R"({"jsonrpc":"2.0","id":9,"error":{"code":-32601,"message":"Method not found: foo"}})");
}

TEST(MakeMessages, ErrorWithDataAndNullId) {
  json::value got = json::parse(make_error(nullptr, rpc::kParseError, "Parse error", json::value("syntax error")));
  EXPECT_EQ(got, json::parse(
                     R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error","data":"syntax error"}})"));
}

TEST(MakeMessages, NotificationAndRequestShapes) {
  EXPECT_EQ(json::parse(make_notification("notifications/tools/list_changed", json::object{})),
            json::parse(R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{}})"));
  EXPECT_EQ(json::parse(make_request(json::value("srv-1"), "elicitation/create", json::object{{"message", "ok?"}})),
            json::parse(R"({"jsonrpc":"2.0","id":"srv-1","method":"elicitation/create","params":{"message":"ok?"}})"));
}

TEST(MakeMessages, ErrorCodesMatchTheSpec) {
  EXPECT_EQ(rpc::kParseError, -32700);
  EXPECT_EQ(rpc::kInvalidRequest, -32600);
  EXPECT_EQ(rpc::kMethodNotFound, -32601);
  EXPECT_EQ(rpc::kInvalidParams, -32602);
  EXPECT_EQ(rpc::kInternalError, -32603);
}

TEST(MakeMessages, OutputIsOneLine) {
  std::string s = make_response(json::value(1), json::value("line1\nline2"));
  EXPECT_EQ(s.find('\n'), std::string::npos);
  json::value back = parse(s);
  Message m = classify(back);
  EXPECT_EQ(m.kind, Kind::Response);
  EXPECT_EQ(*m.result, "line1\nline2");
}

}  // namespace
}  // namespace toolgate
