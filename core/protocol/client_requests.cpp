#include "protocol/client_requests.hpp"

namespace toolgate {

namespace json = boost::json;

std::pair<json::value, std::shared_ptr<ClientRequests::Pending>> ClientRequests::open() {
  std::lock_guard<std::mutex> lock(mu_);
  json::value id = json::string("tg-" + std::to_string(next_++));
  auto p = std::make_shared<Pending>();
  pending_[json::serialize(id)] = p;
  return {id, p};
}

bool ClientRequests::deliver(const json::value& id, const json::value* result, const json::value* error) {
  std::shared_ptr<Pending> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(json::serialize(id));
    if (it == pending_.end()) return false;
    p = it->second;
    pending_.erase(it);
  }
  std::lock_guard<std::mutex> lock(p->mu);
  p->done = true;
  p->is_error = error != nullptr;
  p->payload = json::serialize(error ? *error : *result);
  p->cv.notify_all();
  return true;
}

void ClientRequests::close(const json::value& id) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(json::serialize(id));
}

void ClientRequests::abort(Pending& p) {
  std::lock_guard<std::mutex> lock(p.mu);
  p.aborted = true;
  p.cv.notify_all();
}

}  // namespace toolgate
