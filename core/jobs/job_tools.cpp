#include "jobs/job_tools.hpp"

#include "policy/error_result.hpp"
#include "policy/response_redaction.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

json::object id_schema(json::object extra = {}) {
  json::object props{{"jobId", json::object{{"type", "string"},
                                            {"minLength", 1},
                                            {"maxLength", 128},
                                            {"description", "The jobId returned when the job was started."}}}};
  for (auto& kv : extra) props[kv.key()] = kv.value();
  return json::object{{"type", "object"}, {"properties", props}, {"required", json::array{"jobId"}},
                      {"additionalProperties", false}};
}

json::object hints(bool read_only) {
  return json::object{{"readOnlyHint", read_only}, {"destructiveHint", false}, {"idempotentHint", true},
                      {"openWorldHint", false}};
}

std::shared_ptr<const ToolEntry> entry(ToolManifest m, BuiltinHandler handler) {
  auto e = std::make_shared<ToolEntry>();
  e->builtin_manifest = std::make_shared<const ToolManifest>(std::move(m));
  e->manifest = e->builtin_manifest.get();
  e->input_validator = std::make_shared<SchemaValidator>(e->manifest->input_schema);
  e->builtin = std::move(handler);
  return e;
}

ToolManifest manifest(const char* name, const char* title, const char* description, json::object schema,
                      const char* scope, bool read_only) {
  ToolManifest m;
  m.name = name;
  m.title = title;
  m.description = description;
  m.input_schema = std::move(schema);
  m.scope = scope;
  m.annotations = hints(read_only);
  return m;
}

}  // namespace

void redact_stored_job(const ResponseRedaction* redaction, JobRecord& j) {
  if (!redaction || redaction->none_for(j.tool)) return;
  if (j.result) {
    redaction->apply_to_result(j.tool, *j.result);
    // A failed job's result repeats its error text in the machine-readable copy.
    if (auto* meta = j.result->if_contains("_meta"); meta && meta->is_object())
      if (auto* e = meta->get_object().if_contains(kErrorMetaKey); e && e->is_object())
        if (auto* m = e->get_object().if_contains("message"); m && m->is_string()) {
          std::string text(m->get_string());
          if (redaction->apply_to_string(j.tool, text)) *m = text;
        }
  }
  if (!j.error_message.empty()) redaction->apply_to_string(j.tool, j.error_message);
  if (!j.progress_message.empty()) redaction->apply_to_string(j.tool, j.progress_message);
}

namespace {

json::object view(const JobRecord& j, bool with_result) {
  json::object v{{"jobId", j.id},
                 {"tool", j.tool},
                 {"status", job_status_name(j.status)},
                 {"createdAt", iso8601_utc(j.created_ms)},
                 {"updatedAt", iso8601_utc(j.updated_ms)}};
  if (j.finished_ms) v["finishedAt"] = iso8601_utc(j.finished_ms);
  if (j.estimated_seconds) v["estimatedSeconds"] = j.estimated_seconds;
  if (j.progress) {
    json::object p{{"progress", json_number(*j.progress)}};
    if (j.total > 0) p["total"] = json_number(j.total);
    if (!j.progress_message.empty()) p["message"] = j.progress_message;
    v["progress"] = std::move(p);
  }
  if (j.status == JobStatus::Complete && with_result && j.result) v["result"] = *j.result;
  if (j.status == JobStatus::Failed || j.status == JobStatus::Cancelled)
    v["error"] = json::object{{"code", j.error_code}, {"message", j.error_message}};
  return v;
}

std::string summary(const JobRecord& j) {
  std::string s = "Job " + j.id + " (" + j.tool + ") ";
  switch (j.status) {
    case JobStatus::Running: {
      s += "is running";
      if (j.progress) {
        char buf[64];
        if (j.total > 0)
          std::snprintf(buf, sizeof buf, ": %g of %g", *j.progress, j.total);
        else
          std::snprintf(buf, sizeof buf, ": progress %g", *j.progress);
        s += buf;
        if (!j.progress_message.empty()) s += " (" + j.progress_message + ")";
      }
      return s + ". Poll again with job_status.";
    }
    case JobStatus::Complete: return s + "is complete.";
    case JobStatus::Failed: return s + "failed: " + j.error_message;
    case JobStatus::Cancelled: return s + "was cancelled: " + j.error_message;
  }
  return s;
}

json::object text_result(const std::string& text, json::object structured) {
  return json::object{{"content", json::array{json::object{{"type", "text"}, {"text", text}}}},
                      {"structuredContent", std::move(structured)}};
}

json::object not_found(const std::string& id) {
  return error_result("job_not_found", job_not_found_message(id));
}

std::string arg_string(const json::object& args, const char* key) {
  auto* v = args.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t arg_int(const json::object& args, const char* key, std::int64_t def) {
  auto* v = args.if_contains(key);
  return v && v->is_int64() ? v->get_int64() : v && v->is_uint64() ? static_cast<std::int64_t>(v->get_uint64()) : def;
}

// Empty when the caller may reach jobs of `tool`; else why not (the tenant's tool rules).
std::string forbidden(const BuiltinCall& call, const std::string& tool) {
  return call.forbidden ? call.forbidden(tool) : std::string();
}

json::object refused(const JobRecord& job, const std::string& why) {
  return error_result("forbidden", "job " + job.id + " belongs to tool " + job.tool + ", which you may not use: " + why);
}

json::object status_of(JobEngine& engine, BuiltinCall& call) {
  std::string id = arg_string(call.args, "jobId");
  call.job_id = id;
  auto job = engine.find(call.principal, id);
  if (!job) return not_found(id);
  redact_stored_job(call.redaction.get(), *job);
  call.traceparent = job->traceparent;
  if (std::string why = forbidden(call, job->tool); !why.empty()) return refused(*job, why);
  json::object r = text_result(summary(*job), view(*job, true));
  // A finished job shows the tool's own content after the summary, as the call would have.
  if (job->status == JobStatus::Complete && job->result)
    if (auto* c = job->result->if_contains("content"); c && c->is_array())
      for (const auto& item : c->get_array()) r["content"].get_array().push_back(item);
  return r;
}

json::object partials_of(JobEngine& engine, BuiltinCall& call) {
  std::string id = arg_string(call.args, "jobId");
  call.job_id = id;
  auto job = engine.find(call.principal, id);
  if (!job) return not_found(id);
  call.traceparent = job->traceparent;
  if (std::string why = forbidden(call, job->tool); !why.empty()) return refused(*job, why);
  std::int64_t after = arg_int(call.args, "after", 0);
  auto parts = engine.partials(call.principal, id, after, arg_int(call.args, "limit", 100));
  if (!parts) return not_found(id);
  json::array items;
  std::int64_t last = after;
  for (const auto& p : *parts) {
    boost::system::error_code ec;
    json::value data = json::parse(p.data, ec);
    if (call.redaction) call.redaction->apply_to_value(job->tool, data);
    items.push_back(json::object{{"seq", p.seq}, {"data", std::move(data)}, {"createdAt", iso8601_utc(p.created_ms)}});
    last = p.seq;
  }
  std::string text = std::to_string(items.size()) + " partial result(s) of job " + id + " after #" +
                     std::to_string(after) + " (job " + job_status_name(job->status) + "): " + json::serialize(items);
  return text_result(text, json::object{{"jobId", id},
                                        {"status", job_status_name(job->status)},
                                        {"partials", std::move(items)},
                                        {"nextAfter", last}});
}

json::object cancel_of(JobEngine& engine, BuiltinCall& call) {
  std::string id = arg_string(call.args, "jobId");
  call.job_id = id;
  if (auto found = engine.find(call.principal, id))
    if (std::string why = forbidden(call, found->tool); !why.empty()) {
      call.traceparent = found->traceparent;
      return refused(*found, why);
    }
  JobRecord job;
  auto r = engine.cancel(call.principal, id, "cancelled by " + call.principal.subject + " with job_cancel", job);
  if (r == JobEngine::CancelResult::NotFound) return not_found(id);
  call.traceparent = job.traceparent;
  if (r == JobEngine::CancelResult::AlreadyTerminal)
    return error_result("job_finished", "job " + id + " already finished (" + job_status_name(job.status) +
                                            "); there is nothing to cancel",
                        json::object{{"status", job_status_name(job.status)}});
  return text_result("Job " + id + " (" + job.tool + ") was cancelled.", view(job, false));
}

json::object list_of(JobEngine& engine, BuiltinCall& call) {
  std::optional<JobStatus> status;
  if (std::string s = arg_string(call.args, "status"); !s.empty()) status = parse_job_status(s);
  std::int64_t limit = arg_int(call.args, "limit", 20);
  std::string cursor = arg_string(call.args, "cursor");
  std::int64_t offset = 0;
  if (!cursor.empty()) {
    if (cursor.size() > 9 || cursor.find_first_not_of("0123456789") != std::string::npos)
      return error_result("invalid_input", "invalid arguments for job_list: cursor must be a nextCursor from job_list");
    offset = std::stoll(cursor);
  }
  auto jobs = engine.list(call.principal, status, limit + 1, offset);
  if (offset > 0 && jobs.empty())
    return error_result("invalid_input", "invalid arguments for job_list: the cursor is past the end of the list (its "
                                         "jobs may have expired); list again without a cursor");
  bool more = static_cast<std::int64_t>(jobs.size()) > limit;
  if (more) jobs.pop_back();
  json::array items;
  std::string lines;
  for (auto& j : jobs) {
    if (!forbidden(call, j.tool).empty()) continue;  // as tasks/list: out of reach, out of the list
    redact_stored_job(call.redaction.get(), j);
    items.push_back(view(j, false));
    lines += "\n" + summary(j);
  }
  std::string text = std::to_string(items.size()) + " job(s)" + lines;
  json::object s{{"jobs", std::move(items)}};
  if (more) s["nextCursor"] = std::to_string(offset + limit);
  return text_result(text, std::move(s));
}

}  // namespace

std::string job_not_found_message(const std::string& id) {
  return "job " + id + " not found: no job with this id is visible to you (unknown, expired, or started by another "
         "principal)";
}

json::object job_handle_result(const JobRecord& job) {
  json::object s{{"jobId", job.id}, {"status", "running"}, {"pollTool", kJobStatusTool},
                 {"estimatedSeconds", job.estimated_seconds}};
  std::string text = "Started job " + job.id + " (" + job.tool + ")" +
                     (job.estimated_seconds ? ", estimated " + std::to_string(job.estimated_seconds) + " s" : "") +
                     ". It runs in the background: call job_status with {\"jobId\": \"" + job.id +
                     "\"} for progress and the result.";
  return text_result(text, std::move(s));
}

std::vector<std::shared_ptr<const ToolEntry>> make_job_tools(JobEngine* engine, std::string unavailable) {
  auto wrap = [engine, unavailable](json::object (*fn)(JobEngine&, BuiltinCall&)) -> BuiltinHandler {
    return [engine, unavailable, fn](BuiltinCall& call) {
      if (!engine) return error_result("jobs_unavailable", "jobs are not available on this server: " + unavailable);
      return fn(*engine, call);
    };
  };
  json::object status_enum{{"type", "string"}, {"enum", json::array{"running", "complete", "failed", "cancelled"}}};
  json::object list_schema{
      {"type", "object"},
      {"properties", json::object{{"status", status_enum},
                                  {"limit", json::object{{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}},
                                  {"cursor", json::object{{"type", "string"}}}}},
      {"additionalProperties", false}};
  json::object partial_extra{
      {"after", json::object{{"type", "integer"}, {"minimum", 0},
                             {"description", "Return partials after this sequence number (nextAfter of the last answer)."}}},
      {"limit", json::object{{"type", "integer"}, {"minimum", 1}, {"maximum", 500}}}};
  return {
      entry(manifest("job_status", "Job status",
                     "Status of a background job started by a long-running tool: running (with progress), complete "
                     "(with the tool's result), failed (with the error) or cancelled.",
                     id_schema(), "jobs.read", true),
            wrap(status_of)),
      entry(manifest("job_partial_results", "Job partial results",
                     "Partial results a background job has produced so far, in order; pass `after` to get only newer "
                     "ones.",
                     id_schema(partial_extra), "jobs.read", true),
            wrap(partials_of)),
      entry(manifest("job_cancel", "Cancel job",
                     "Cancels a running background job you started. The tool is asked to stop; partial results stay "
                     "readable.",
                     id_schema(), "jobs.cancel", false),
            wrap(cancel_of)),
      entry(manifest("job_list", "List jobs", "Your background jobs, newest first, optionally filtered by status.",
                     list_schema, "jobs.read", true),
            wrap(list_of)),
  };
}

bool is_job_tool(std::string_view name) {
  return name == "job_status" || name == "job_partial_results" || name == "job_list" || name == "job_cancel";
}

}  // namespace toolgate
