#include "app/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "audit/redactor.hpp"
#include "identity/authenticator.hpp"

namespace toolgate {

namespace {

// Only the credential's literals: patterns would also hide what an operator needs to read.
Redactor& log_redactor() {
  static Redactor redactor(std::vector<std::string>{}, std::vector<std::string>{});
  return redactor;
}

void escape_controls(std::string& text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    }
  }
  text.swap(out);
}

bool has_control(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Rewrites each message (scrubbed, one line) and hands it to the real stderr sink.
class SafeStderrSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SafeStderrSink() : inner_(std::make_shared<spdlog::sinks::stderr_sink_mt>()) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string text(payload);
    log_redactor().redact_string(text);
    if (has_control(text)) escape_controls(text);
    spdlog::details::log_msg safe(msg.time, msg.source, msg.logger_name, msg.level, text);
    safe.thread_id = msg.thread_id;
    inner_->log(safe);
  }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override { inner_->set_formatter(std::move(f)); }

 private:
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> inner_;
};

}  // namespace

void setup_stderr_logging(const std::string& level) {
  auto logger = spdlog::get("toolgate");
  if (!logger) {
    logger = std::make_shared<spdlog::logger>("toolgate", std::make_shared<SafeStderrSink>());
    logger->set_pattern("toolgate %Y-%m-%dT%H:%M:%S.%e %l: %v");
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  spdlog::set_level(spdlog::level::from_str(level));
}

void scrub_credential_from_logs(const std::string& credential) {
  for (std::string& secret : credential_secrets(credential)) log_redactor().add_literal(std::move(secret));
}

}  // namespace toolgate
