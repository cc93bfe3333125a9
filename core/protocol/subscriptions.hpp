// 2026-07-28 subscriptions/listen streams. In the stateless era the server sends no unsolicited
// notifications: a client that wants notifications/tools/list_changed opens a listen request
// naming the notification types it wants, and only those streams hear about changes. Each
// notification carries the listen request's id in _meta["io.modelcontextprotocol/subscriptionId"].
//
// A stream ends when the client cancels the listen request (notifications/cancelled; no response
// follows, as for any cancelled request) or when the server shuts down (the listen request is
// then answered with an empty result, the spec's graceful close). toolgate serves tools only, so
// of the filter it honours toolsListChanged alone; the acknowledgement says so. Thread-safe.
#pragma once

#include <boost/json.hpp>

#include <mutex>
#include <string>
#include <unordered_map>

#include "transport/line_writer.hpp"

namespace toolgate {

inline constexpr const char* kSubscriptionIdKey = "io.modelcontextprotocol/subscriptionId";
// One stdio client has no use for more streams than this; the cap keeps a looping client from
// growing the table (and every notification's fan-out) without bound.
inline constexpr std::size_t kMaxSubscriptions = 64;

class Subscriptions {
 public:
  explicit Subscriptions(LineWriter& out) : out_(out) {}

  // Opens a stream for listen request `id` with filter `params.notifications` and writes the
  // acknowledgement. Returns an error message (and opens nothing) for bad params or an id that
  // already names an open stream; the caller answers with -32602 / -32600.
  std::string open(const boost::json::value& id, const boost::json::object& params, int& error_code);
  // The client cancelled request `id`; true when it was a stream (now closed, no response).
  bool cancel(const boost::json::value& id);
  // Tells every stream that asked for tool list changes.
  void tools_changed();
  // Answers every open listen request with the graceful-close result; `server_info` is the
  // serverInfo _meta every 2026 result carries. Streams opened later are refused.
  void close_all(const boost::json::object& server_info);
  std::size_t open_count();
  // Whether `id` names an open stream (a listen request is still in flight until it ends).
  bool contains(const boost::json::value& id);

 private:
  struct Stream {
    boost::json::value id;
    bool tools = false;
  };
  LineWriter& out_;
  std::mutex mu_;
  bool closed_ = false;
  std::unordered_map<std::string, Stream> streams_;  // by id_key
};

}  // namespace toolgate
