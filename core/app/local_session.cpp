#include "app/local_session.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "version.hpp"

namespace toolgate {

namespace json = boost::json;

LocalSession::LocalSession(const CliOptions& cli, Elicit on_elicitation) : on_elicitation_(std::move(on_elicitation)) {
  if (::pipe2(pipe_, O_CLOEXEC) != 0) throw SessionHostError("cannot create the session pipe");
  host_ = std::make_unique<SessionHost>(cli, pipe_[1]);
  reader_ = std::thread([this] { read_loop(); });
}

LocalSession::~LocalSession() { close(); }

void LocalSession::close() {
  if (closed_) return;
  closed_ = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(host_->config().server.shutdown_grace_ms);
  host_->server().drain(deadline);
  if (host_->jobs()) host_->jobs()->shutdown(deadline);
  ::close(pipe_[1]);  // the reader sees end of file once everything written has been read
  pipe_[1] = -1;
  if (reader_.joinable()) reader_.join();
  ::close(pipe_[0]);
}

void LocalSession::read_loop() {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(pipe_[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      boost::system::error_code ec;
      json::value v = json::parse(std::string_view(buffer).substr(start, nl - start), ec);
      if (ec || !v.is_object()) continue;
      json::object& msg = v.get_object();
      const json::value* method = msg.if_contains("method");
      if (method && !msg.contains("id")) {  // a notification: show what the tool says
        const json::value* params = msg.if_contains("params");
        if (*method == "notifications/message" && params && params->is_object()) {
          const auto& p = params->get_object();
          const json::value* data = p.if_contains("data");
          std::cerr << "[" << (p.if_contains("level") ? json::value_to<std::string>(p.at("level")) : "log") << "] "
                    << (data && data->is_string() ? std::string(data->get_string()) : data ? json::serialize(*data) : "")
                    << "\n";
        } else if (*method == "notifications/progress" && params && params->is_object()) {
          const auto& p = params->get_object();
          std::cerr << "[progress] " << (p.if_contains("progress") ? json::serialize(p.at("progress")) : "?")
                    << (p.if_contains("total") ? "/" + json::serialize(p.at("total")) : "")
                    << (p.if_contains("message") && p.at("message").is_string()
                            ? " " + std::string(p.at("message").get_string())
                            : "")
                    << "\n";
        }
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      inbox_.push_back(std::move(msg));
      cv_.notify_all();
    }
    buffer.erase(0, start);
  }
  std::lock_guard<std::mutex> lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

void LocalSession::answer_server_request(const json::object& msg) {
  json::object result;
  const json::value& method = msg.at("method");
  if (method == "elicitation/create" && on_elicitation_) {
    const json::value* params = msg.if_contains("params");
    result = on_elicitation_(params && params->is_object() ? params->get_object() : json::object{});
  } else if (method == "ping") {
    result = json::object{};
  } else {
    json::object reply{{"jsonrpc", "2.0"}, {"id", msg.at("id")},
                       {"error", json::object{{"code", -32601}, {"message", "the terminal does not support this"}}}};
    host_->server().handle_line(json::serialize(reply));
    return;
  }
  json::object reply{{"jsonrpc", "2.0"}, {"id", msg.at("id")}, {"result", std::move(result)}};
  host_->server().handle_line(json::serialize(reply));
}

json::object LocalSession::request(const std::string& method, json::object params, std::int64_t timeout_ms) {
  const std::int64_t id = next_id_++;
  json::object req{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  host_->server().handle_line(json::serialize(req));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    json::object msg;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, deadline, [&] { return !inbox_.empty() || eof_; }))
        throw std::runtime_error(method + ": no answer within " + std::to_string(timeout_ms / 1000) + " s");
      if (inbox_.empty()) throw std::runtime_error(method + ": the session ended without an answer");
      msg = std::move(inbox_.front());
      inbox_.pop_front();
    }
    if (msg.contains("method")) {  // the server asks us something (consent) while the call waits
      answer_server_request(msg);
      continue;
    }
    const json::value* rid = msg.if_contains("id");
    if (rid && rid->is_int64() && rid->get_int64() == id) return msg;
  }
}

json::object LocalSession::initialize(const std::string& client_name) {
  json::object caps;
  if (on_elicitation_) caps["elicitation"] = json::object{};
  json::object resp = request("initialize",
                              json::object{{"protocolVersion", "2025-06-18"},
                                           {"capabilities", std::move(caps)},
                                           {"clientInfo", json::object{{"name", client_name}, {"version", kToolgateVersion}}}},
                              30'000);
  if (const json::value* e = resp.if_contains("error"))
    throw std::runtime_error("initialize failed: " + json::serialize(*e));
  host_->server().handle_line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  return resp.at("result").as_object();
}

}  // namespace toolgate
