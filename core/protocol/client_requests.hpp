// Requests from server to client (elicitation, sampling) made on behalf of a running tool. Each
// gets a host-chosen id ("tg-<n>", distinct from client ids by construction); the reader thread
// routes the client's response here by id and wakes the waiting worker. Waits end on a reply,
// a deadline, or abort() (the call was cancelled). Thread-safe.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace toolgate {

class ClientRequests {
 public:
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool aborted = false;
    bool is_error = false;
    std::string payload;  // serialized result or error object
  };

  // Registers a new request; returns its id and the slot to wait on.
  std::pair<boost::json::value, std::shared_ptr<Pending>> open();
  // Routes a client response. Returns false for an id nobody waits for (a stray response).
  bool deliver(const boost::json::value& id, const boost::json::value* result, const boost::json::value* error);
  void close(const boost::json::value& id);
  static void abort(Pending& p);

 private:
  std::mutex mu_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending_;
};

}  // namespace toolgate
