// A stored job is shown through the response rules in force when it is read: its result, the
// error text kept beside it, and the copy of that text in the result's _meta.
#include "jobs/job_tools.hpp"

#include <gtest/gtest.h>

#include "policy/error_result.hpp"
#include "policy/response_redaction.hpp"

namespace toolgate {
namespace {

namespace json = boost::json;

ResponseRedaction rules(const std::string& redact) {
  json::value doc = json::parse("{\"redact\":" + redact + "}");
  JsonErrors errors;
  JsonObjectReader root(&doc.get_object(), "$", errors);
  JsonObjectReader r = root.object("redact");
  ResponseRedaction out = parse_response_redaction(r);
  EXPECT_TRUE(errors.items().empty());
  return out;
}

TEST(StoredJobRedaction, AFailedJobsTextsAreRedactedWithTheCurrentRules) {
  const std::string text = R"({"error":"backend refused","data":{"private_ip":"10.0.0.99"}})";
  JobRecord j;
  j.tool = "failing_job";
  j.status = JobStatus::Failed;
  j.error_code = "tool_error";
  j.error_message = text;
  j.result = error_result("tool_error", text);
  (*j.result)["content"] = json::array{json::object{{"type", "text"}, {"text", text}}};
  ResponseRedaction r = rules(R"({"response":["$.data.private_ip"]})");
  redact_stored_job(&r, j);
  EXPECT_EQ(j.error_message.find("10.0.0.99"), std::string::npos) << j.error_message;
  EXPECT_EQ(json::serialize(*j.result).find("10.0.0.99"), std::string::npos) << json::serialize(*j.result);
  EXPECT_NE(j.error_message.find("[REDACTED]"), std::string::npos) << j.error_message;
  // Without rules nothing changes.
  JobRecord k;
  k.tool = "t";
  k.error_message = text;
  redact_stored_job(nullptr, k);
  EXPECT_EQ(k.error_message, text);
}

}  // namespace
}  // namespace toolgate
