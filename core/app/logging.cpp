#include "app/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "audit/redactor.hpp"
#include "identity/authenticator.hpp"
#include "util/terminal_text.hpp"

namespace toolgate {

namespace {

// Only the credential's literals: patterns would also hide what an operator needs to read.
Redactor& log_redactor() {
  static Redactor redactor(std::vector<std::string>{}, std::vector<std::string>{});
  return redactor;
}

// Only a real event starts a line: a line break inside a message continues on a line indented by
// four spaces (so no continuation can pass for an event, which starts with "toolgate "), and
// every other unsafe character (unsafe_character_at) is written as an escape.
std::string one_event(std::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = unsafe_character_at(text, i);
    if (n == 0) {
      out.push_back(text[i++]);
      continue;
    }
    if (text[i] == '\n') {
      out += "\n    ";
    } else if (text[i] == '\t') {
      out.push_back('\t');
    } else {
      for (std::size_t k = 0; k < n; ++k) {
        char hex[5];
        std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(text[i + k]));
        out += hex;
      }
    }
    i += n;
  }
  return out;
}

bool needs_rewrite(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (unsafe_character_at(text, i)) return true;
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
    if (needs_rewrite(text)) text = one_event(text);
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
