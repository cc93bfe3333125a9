#include "protocol/jsonrpc.hpp"

#include <algorithm>

#include "util/utf8.hpp"

namespace toolgate {

namespace json = boost::json;

bool parse_json_line(std::string_view line, json::value& out, std::string& error) {
  // One parser per thread, reset between lines: it keeps its internal buffers, which would
  // otherwise be allocated and freed for every message.
  thread_local json::stream_parser p({}, [] {
    json::parse_options opts;
    opts.max_depth = kMaxJsonDepth;
    return opts;
  }());
  p.reset();
  boost::system::error_code ec;
  p.write(line.data(), line.size(), ec);
  if (!ec) p.finish(ec);
  if (ec) {
    if (ec == json::error::too_deep)
      error = "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels";
    else if (!is_valid_utf8(line))
      error = ec.message() + " (the input is not valid UTF-8)";
    else
      error = ec.message();
    return false;
  }
  out = p.release();
  return true;
}

namespace {
bool valid_id(const json::value& id) { return id.is_string() || id.is_int64() || id.is_uint64(); }
}  // namespace

Message classify(const json::value& v) {
  Message m;
  if (!v.is_object()) {
    m.invalid_reason = "a JSON-RPC message must be an object";
    return m;
  }
  const json::object& o = v.get_object();
  auto id_it = o.find("id");
  bool has_id = id_it != o.end();
  if (has_id && valid_id(id_it->value())) m.id = id_it->value();

  auto ver = o.find("jsonrpc");
  auto method = o.find("method");
  auto result = o.find("result");
  auto error = o.find("error");
  if (method == o.end() && (result != o.end() || error != o.end())) {
    // A response, perhaps a broken one (a client's own parse error carries "id": null). It is
    // never answered, even when broken: two peers answering each other's bad responses would
    // never stop.
    m.kind = Message::Kind::Response;
    if (ver == o.end() || ver->value() != "2.0")
      m.invalid_reason = "\"jsonrpc\" must be \"2.0\"";
    else if (!has_id || !valid_id(id_it->value()))
      m.invalid_reason = "a response needs the string or integer id of the request it answers";
    else if (result != o.end() && error != o.end())
      m.invalid_reason = "a response carries \"result\" or \"error\", not both";
    if (!m.invalid_reason.empty()) return m;
    if (result != o.end()) m.result = &result->value();
    if (error != o.end()) m.error = &error->value();
    return m;
  }
  if (ver == o.end() || ver->value() != "2.0") {
    m.invalid_reason = "\"jsonrpc\" must be \"2.0\"";
    return m;
  }
  if (has_id && !valid_id(id_it->value())) {
    m.invalid_reason = "\"id\" must be a string or an integer";
    return m;
  }
  if (method == o.end()) {
    m.invalid_reason = "missing \"method\"";
    return m;
  }
  if (!method->value().is_string()) {
    m.invalid_reason = "\"method\" must be a string";
    return m;
  }
  m.method = std::string(method->value().get_string());
  auto params = o.find("params");
  if (params != o.end()) {
    if (!params->value().is_object()) {
      // MCP params are always objects; positional arrays are not part of the protocol.
      m.invalid_reason = "\"params\" must be an object";
      return m;
    }
    m.params = &params->value().get_object();
  }
  m.kind = has_id ? Message::Kind::Request : Message::Kind::Notification;
  return m;
}

std::string id_key(const json::value& id) { return json::serialize(id); }

namespace {
// Written out directly: wrapping the result in a new object would copy it.
template <class Result>
std::string response_text(const json::value& id, const Result& result) {
  std::string out = "{\"jsonrpc\":\"2.0\",\"id\":";
  out += json::serialize(id);
  out += ",\"result\":";
  out += json::serialize(result);
  out += "}";
  return out;
}
}  // namespace

std::string make_response(const json::value& id, json::value result) { return response_text(id, result); }

std::string make_response(const json::value& id, const json::object& result) { return response_text(id, result); }

std::string make_error(const json::value& id, int code, std::string_view message, const json::value& data) {
  json::object err;
  err["code"] = code;
  err["message"] = message;
  if (!data.is_null()) err["data"] = data;
  json::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["error"] = std::move(err);
  return json::serialize(o);
}

std::string make_notification(std::string_view method, json::value params) {
  json::object o;
  o["jsonrpc"] = "2.0";
  o["method"] = method;
  o["params"] = std::move(params);
  return json::serialize(o);
}

std::string make_request(const json::value& id, std::string_view method, json::value params) {
  json::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["method"] = method;
  o["params"] = std::move(params);
  return json::serialize(o);
}

const boost::json::object* request_meta(const Message& m) {
  const boost::json::value* meta = m.params ? m.params->if_contains("_meta") : nullptr;
  return meta && meta->is_object() ? &meta->get_object() : nullptr;
}

}  // namespace toolgate
