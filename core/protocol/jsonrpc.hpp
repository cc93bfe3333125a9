// JSON-RPC 2.0 framing for MCP: parse one line, classify it, and build responses. Each line is
// parsed with a depth cap and strict UTF-8; the classification tells the dispatcher exactly which
// error the spec asks for. Pure functions; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace toolgate {

namespace rpc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// toolgate's own, in the implementation-defined server range: a request refused by policy (the
// caller lacks a credential, a scope, or its tenant may not use the tool), and any other
// refusal that is not about the request's shape.
inline constexpr int kForbidden = -32003;
inline constexpr int kServerError = -32000;
}  // namespace rpc

inline constexpr unsigned kMaxJsonDepth = 64;

// Parses text. On failure returns false and sets `error` to a readable reason.
bool parse_json_line(std::string_view line, boost::json::value& out, std::string& error);

struct Message {
  enum class Kind { Request, Notification, Response, Invalid } kind = Kind::Invalid;
  boost::json::value id;             // null for notifications and unidentifiable invalid messages
  std::string method;
  const boost::json::object* params = nullptr;  // null when absent
  const boost::json::value* result = nullptr;   // responses
  const boost::json::value* error = nullptr;    // responses
  std::string invalid_reason;
};

// Classifies a parsed value (which must outlive the Message).
Message classify(const boost::json::value& v);

// params._meta when it is an object, else null.
const boost::json::object* request_meta(const Message& m);

// A canonical key for an id, distinguishing 1 from "1".
std::string id_key(const boost::json::value& id);

std::string make_response(const boost::json::value& id, boost::json::value result);
// The same for a result the caller keeps (and frees where it chooses).
std::string make_response(const boost::json::value& id, const boost::json::object& result);
std::string make_error(const boost::json::value& id, int code, std::string_view message,
                       const boost::json::value& data = nullptr);
std::string make_notification(std::string_view method, boost::json::value params);
std::string make_request(const boost::json::value& id, std::string_view method, boost::json::value params);

}  // namespace toolgate
