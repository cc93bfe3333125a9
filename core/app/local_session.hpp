// An MCP client inside the toolgate process: it serves one session through a SessionHost (the
// same policy pipeline, registry and protocol engine `serve` runs) and talks to it over a pipe
// in JSON-RPC, like any client would. The terminal commands use it so that what a person tries
// from a shell is authenticated, scoped, rate-limited, consented and audited exactly as a call
// from an agent. Requests that the server sends to the client (elicitation for consent) go to
// `on_elicitation`; log and progress notifications go to stderr.
//
// Single-threaded use: one thread calls initialize/request; a private thread reads the pipe.
#pragma once

#include <boost/json.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/session_host.hpp"

namespace toolgate {

class LocalSession {
 public:
  // Answers an elicitation/create request: returns the result object to send back.
  using Elicit = std::function<boost::json::object(const boost::json::object& params)>;

  // Throws SessionHostError when the policy or plugins cannot be set up.
  LocalSession(const CliOptions& cli, Elicit on_elicitation);
  ~LocalSession();

  // initialize + notifications/initialized; declares elicitation when on_elicitation is set.
  // Returns the initialize result or throws std::runtime_error with the server's error.
  boost::json::object initialize(const std::string& client_name);
  // Sends a request and waits for its response (the whole response object, with result or
  // error). Throws std::runtime_error if none comes within `timeout_ms`.
  boost::json::object request(const std::string& method, boost::json::object params, std::int64_t timeout_ms);
  SessionHost& host() { return *host_; }
  // Ends calls still running and stops; safe to call more than once.
  void close();

 private:
  void read_loop();
  void answer_server_request(const boost::json::object& msg);

  int pipe_[2] = {-1, -1};
  std::unique_ptr<SessionHost> host_;
  Elicit on_elicitation_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<boost::json::object> inbox_;  // responses and server requests, in arrival order
  bool eof_ = false;
  std::int64_t next_id_ = 1;
  bool closed_ = false;
};

}  // namespace toolgate
