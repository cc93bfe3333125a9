#include "jobs/job_run.hpp"

#include <spdlog/spdlog.h>

#include "jobs/job_engine.hpp"
#include "policy/error_result.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {
constexpr std::int64_t kMaxPartials = 1000;
constexpr std::size_t kMaxPartialBytes = 64 * 1024;
constexpr auto kPersistEvery = std::chrono::milliseconds(200);

bool parse_json(std::string_view text, json::value& out) {
  boost::system::error_code ec;
  out = json::parse(text, ec);
  return !ec;
}
}  // namespace

JobRun::JobRun(JobEngine& engine, JobRecord record, std::shared_ptr<const ToolEntry> tool, Principal principal,
               json::object args, ProgressListener on_progress, bool notify_task_status,
               std::shared_ptr<const ResponseRedaction> redaction)
    : engine_(engine), record_(std::move(record)), tool_(std::move(tool)), principal_(std::move(principal)),
      args_(std::move(args)), on_progress_(std::move(on_progress)), notify_task_status_(notify_task_status),
      redaction_(std::move(redaction)),
      started_(std::chrono::steady_clock::now()) {}

std::int64_t JobRun::latency_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
}

void JobRun::progress_snapshot(JobRecord& into) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!progress_) return;
  into.progress = progress_;
  into.total = total_;
  into.progress_message = progress_message_;
}

void JobRun::run() {
  bool skip = false;
  {
    // Decided under mu_, as lend_stand_in_if_stuck() decides: a cancel either finds the plugin
    // running (and lends a stand-in) or is seen here (and the plugin never runs).
    std::lock_guard<std::mutex> lock(mu_);
    skip = cancelled_;
    if (!skip) plugin_running_ = true;
  }
  if (skip) {  // cancelled or expired while queued: the job is already terminal
    engine_.plugin_returned(*this, std::nullopt);
    return;
  }
  std::string thrown;
  int rc = invoke_plugin_tool(*tool_, *this, args_, thrown);
  {
    std::lock_guard<std::mutex> lock(mu_);
    plugin_running_ = false;
    if (stand_in_lent_) engine_.pool().return_stand_in();
    stand_in_lent_ = false;
  }
  conclude(rc, thrown);
}

void JobRun::lend_stand_in_if_stuck() {
  std::lock_guard<std::mutex> lock(mu_);
  if (plugin_running_ && !stand_in_lent_) stand_in_lent_ = engine_.pool().lend_stand_in();
}

void JobRun::conclude(int rc, const std::string& thrown) {
  const ToolManifest& m = *tool_->manifest;
  std::optional<json::object> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    result = std::move(result_);
  }
  JobOutcome out;
  if (!thrown.empty() || !result) {
    out.error_code = "internal";
    out.error_message = !thrown.empty() ? "tool " + m.name + " threw across the plugin boundary: " + thrown
                                        : "tool " + m.name + " returned without a result (code " + std::to_string(rc) + ")";
    out.status = JobStatus::Failed;
    out.result = error_result(out.error_code, out.error_message);
  } else if (result->contains("isError") && (*result)["isError"] == true) {
    // Redacted before the error text is taken from it: the job's audit entry carries that text.
    if (redaction_) redaction_->apply_to_result(m.name, *result);
    std::string text = "tool error";
    if (auto* c = result->if_contains("content"); c && c->is_array() && !c->get_array().empty()) {
      const json::value& first = c->get_array()[0];
      if (first.is_object() && first.get_object().contains("text") && first.get_object().at("text").is_string())
        text = std::string(first.get_object().at("text").get_string());
    }
    json::value& meta = (*result)["_meta"];
    if (!meta.is_object()) meta = json::object();
    if (!meta.get_object().contains(kErrorMetaKey))
      meta.get_object()[kErrorMetaKey] = json::object{{"code", "tool_error"}, {"message", text}};
    out.status = JobStatus::Failed;
    out.error_code = "tool_error";
    out.error_message = text;
    out.result = std::move(*result);
  } else {
    std::string invalid;
    if (tool_->output_validator) {
      auto* sc = result->if_contains("structuredContent");
      invalid = !sc ? "no structuredContent although the tool declares an outputSchema"
                    : tool_->output_validator->validate(*sc);
    }
    if (!invalid.empty()) {
      out.status = JobStatus::Failed;
      out.error_code = "invalid_output";
      out.error_message = "tool " + m.name + " returned output that does not match its outputSchema: " + invalid;
      out.result = error_result("internal", out.error_message);
    } else {
      out.status = JobStatus::Complete;
      // After output validation, which judges what the plugin produced.
      if (redaction_) redaction_->apply_to_result(m.name, *result);
      out.result = std::move(*result);
    }
  }
  engine_.plugin_returned(*this, std::move(out));
}

void JobRun::log(int level, std::string_view msg) {
  // Nobody is listening for a job's log messages: they go to the host's diagnostics.
  spdlog::debug("job {} ({}): {}", record_.id, record_.tool, msg);
}

int JobRun::report_progress(double progress, double total, std::string_view msg) {
  bool persist = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (progress_ && progress <= *progress_) return TG_ERR_INVALID;  // MCP requires progress to increase
    progress_ = progress;
    total_ = total;
    progress_message_ = std::string(msg);
    auto now = std::chrono::steady_clock::now();
    if (now - last_persisted_ >= kPersistEvery) {
      last_persisted_ = now;
      persist = true;
    }
  }
  if (cancelled_) return TG_ERR_CANCELLED;
  if (persist) engine_.persist_progress(record_.id, progress, total, std::string(msg));
  if (on_progress_) on_progress_(record_.id, progress, total, std::string(msg));
  return TG_OK;
}

int JobRun::emit_partial(std::string_view text) {
  json::value v;
  if (text.size() > kMaxPartialBytes || !parse_json(text, v)) return TG_ERR_INVALID;
  std::int64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (partials_ >= kMaxPartials) return TG_ERR_INVALID;
    seq = ++partials_;
  }
  if (cancelled_) return TG_ERR_CANCELLED;
  if (redaction_) redaction_->apply_to_value(record_.tool, v);
  return engine_.store_partial(record_.id, seq, json::serialize(v)) ? TG_OK : TG_ERR;
}

int JobRun::set_result(std::string_view text) {
  std::optional<json::object> parsed = parse_call_result(text);
  if (!parsed) return TG_ERR_INVALID;
  std::lock_guard<std::mutex> lock(mu_);
  if (result_) return TG_ERR_FINISHED;
  result_ = std::move(*parsed);
  return cancelled_ ? TG_ERR_CANCELLED : TG_OK;
}

int JobRun::set_error(std::string_view msg) {
  std::string text = msg.empty() ? "the tool failed" : std::string(msg);
  std::lock_guard<std::mutex> lock(mu_);
  if (result_) return TG_ERR_FINISHED;
  result_ = error_result("tool_error", text);
  return cancelled_ ? TG_ERR_CANCELLED : TG_OK;
}

int JobRun::client_request(const std::string& method, std::string_view, std::uint32_t, std::string& reply) {
  // The client got the job handle and moved on; there is no request to attach a question to.
  reply = json::serialize(json::object{
      {"code", -32601},
      {"message", "tool " + record_.tool + " runs as a job, and a job cannot send " + method + " to the client"}});
  return TG_ERR_UNSUPPORTED;
}

}  // namespace toolgate
