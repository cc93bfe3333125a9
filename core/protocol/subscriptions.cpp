#include "protocol/subscriptions.hpp"

#include "protocol/jsonrpc.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {
// The filter fields the 2026-07-28 SubscriptionFilter defines; anything else is a client error.
bool known_filter_field(std::string_view k) {
  return k == "toolsListChanged" || k == "promptsListChanged" || k == "resourcesListChanged" ||
         k == "resourceSubscriptions";
}
}  // namespace

std::string Subscriptions::open(const json::value& id, const json::object& params, int& error_code) {
  error_code = rpc::kInvalidParams;
  const json::value* filter = params.if_contains("notifications");
  if (!filter || !filter->is_object())
    return "subscriptions/listen: params.notifications must be an object naming the notifications wanted";
  Stream s{id, false};
  for (const auto& kv : filter->get_object()) {
    if (!known_filter_field(kv.key()))
      return "subscriptions/listen: params.notifications." + std::string(kv.key()) + " is not a known notification type";
    if (kv.key() == "resourceSubscriptions") {
      if (!kv.value().is_array()) return "subscriptions/listen: params.notifications.resourceSubscriptions must be an array";
    } else if (!kv.value().is_bool()) {
      return "subscriptions/listen: params.notifications." + std::string(kv.key()) + " must be a boolean";
    }
  }
  if (auto* t = filter->get_object().if_contains("toolsListChanged")) s.tools = t->as_bool();
  // Only tools exist here: prompts, resources and resource subscriptions are left out of the ack.
  json::object honoured;
  if (s.tools) honoured["toolsListChanged"] = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    error_code = rpc::kInvalidRequest;
    if (closed_) return "subscriptions/listen: the server is shutting down";
    if (streams_.size() >= kMaxSubscriptions)
      return "subscriptions/listen: " + std::to_string(kMaxSubscriptions) +
             " subscriptions are already open; cancel one before opening another";
    if (!streams_.emplace(id_key(id), s).second)
      return "subscriptions/listen: request id " + id_key(id) + " already names an open subscription";
    // Written under the lock so no change notification for this stream can overtake its ack.
    out_.write_line(make_notification("notifications/subscriptions/acknowledged",
                                       json::object{{"notifications", std::move(honoured)},
                                                    {"_meta", json::object{{kSubscriptionIdKey, id}}}}));
  }
  error_code = 0;
  return {};
}

bool Subscriptions::cancel(const json::value& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.erase(id_key(id)) > 0;
}

void Subscriptions::tools_changed() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, s] : streams_)
    if (s.tools)
      out_.write_line(make_notification("notifications/tools/list_changed",
                                        json::object{{"_meta", json::object{{kSubscriptionIdKey, s.id}}}}));
}

void Subscriptions::close_all(const json::object& server_info) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (const auto& [key, s] : streams_) {
    json::object meta = server_info;
    meta[kSubscriptionIdKey] = s.id;
    out_.write_line(make_response(s.id, json::object{{"resultType", "complete"}, {"_meta", std::move(meta)}}));
  }
  streams_.clear();
}

bool Subscriptions::contains(const json::value& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.count(id_key(id)) > 0;
}

std::size_t Subscriptions::open_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.size();
}

}  // namespace toolgate
