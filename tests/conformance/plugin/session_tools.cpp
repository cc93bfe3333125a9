// Tools that talk to the client while they run: log messages and progress notifications go
// out through the host as notifications/message and notifications/progress; sampling and
// elicitation are server-to-client requests the host routes by id while the call waits.
#include <boost/json.hpp>

#include <chrono>
#include <thread>

#include "tools.hpp"

namespace conformance {

namespace json = boost::json;
using toolgate::Call;
using toolgate::ClientRequestError;
using toolgate::Result;

namespace {

// The suite asks for ~50 ms between notifications so that a client sees them arrive one by one.
void pause() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }

std::string string_arg(std::string_view args, const char* name) {
  // The host validated args against the inputSchema, where this argument is a required string.
  return std::string(json::parse(args).as_object().at(name).as_string());
}

// Sends a request to the client. Nullopt (and `failure` set to an error result) when the client
// cannot or did not answer, so the model reads a sentence rather than a protocol detail.
std::optional<json::object> ask(Call& call, const std::string& method, const json::object& params,
                                Result& failure) {
  try {
    json::value reply = json::parse(call.ask_client(method, json::serialize(params)));
    if (reply.is_object()) return reply.as_object();
    failure = Result::error(method + " returned something other than an object: " + json::serialize(reply));
  } catch (const ClientRequestError& e) {
    std::string why;
    switch (e.rc()) {
      case TG_ERR_UNSUPPORTED: why = "the client does not offer " + method; break;
      case TG_ERR_TIMEOUT: why = "the client did not answer " + method + " in time"; break;
      case TG_ERR_CANCELLED: why = "the call was cancelled while waiting for the client"; break;
      default: why = "the client answered " + method + " with an error"; break;
    }
    failure = Result::error(why + " (" + e.what() + ")");
  }
  return std::nullopt;
}

// "action=<accept|decline|cancel>, content={...}" from an ElicitResult.
std::string describe_elicit_result(const json::object& r) {
  std::string action = r.contains("action") && r.at("action").is_string() ? std::string(r.at("action").get_string())
                                                                          : "unknown";
  std::string content = r.contains("content") ? json::serialize(r.at("content")) : "{}";
  return "action=" + action + ", content=" + content;
}

json::object string_prop(const char* description) {
  return {{"type", "string"}, {"description", description}};
}

json::array titled_options(std::initializer_list<std::pair<const char*, const char*>> options) {
  json::array out;
  for (const auto& [value, title] : options) out.push_back(json::object{{"const", value}, {"title", title}});
  return out;
}

}  // namespace

Result tool_with_logging(Call& call, std::string_view) {
  call.log(TG_LOG_INFO, "Tool execution started");
  pause();
  call.log(TG_LOG_INFO, "Tool processing data");
  pause();
  call.log(TG_LOG_INFO, "Tool execution completed");
  return Result::text("Tool with logging executed successfully");
}

Result tool_with_progress(Call& call, std::string_view) {
  // Without a progressToken the host drops the reports, and the delays still happen.
  call.progress(0, 100);
  pause();
  call.progress(50, 100);
  pause();
  call.progress(100, 100);
  return Result::text("Tool with progress executed successfully");
}

Result sampling(Call& call, std::string_view args) {
  json::object message{{"role", "user"}, {"content", json::object{{"type", "text"}, {"text", string_arg(args, "prompt")}}}};
  json::object params{{"messages", json::array{message}}, {"maxTokens", 100}};
  Result failure;
  auto reply = ask(call, "sampling/createMessage", params, failure);
  if (!reply) return failure;
  // content is one block, or (from 2025-11-25) possibly an array of blocks.
  std::string text;
  auto take = [&](const json::value& block) {
    if (block.is_object() && block.as_object().contains("text") && block.as_object().at("text").is_string())
      text += block.as_object().at("text").get_string();
  };
  if (const json::value* c = reply->if_contains("content")) {
    if (c->is_array())
      for (const auto& b : c->get_array()) take(b);
    else
      take(*c);
  }
  if (text.empty()) text = json::serialize(*reply);
  return Result::text("LLM response: " + text);
}

Result elicitation(Call& call, std::string_view args) {
  json::object schema{{"type", "object"},
                      {"properties", json::object{{"username", string_prop("User's response")},
                                                  {"email", string_prop("User's email address")}}},
                      {"required", json::array{"username", "email"}}};
  json::object params{{"message", string_arg(args, "message")}, {"requestedSchema", schema}};
  Result failure;
  auto reply = ask(call, "elicitation/create", params, failure);
  if (!reply) return failure;
  return Result::text("User response: " + describe_elicit_result(*reply));
}

Result elicitation_sep1034_defaults(Call& call, std::string_view) {
  json::object props{
      {"name", {{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
      {"age", {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
      {"score", {{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
      {"status",
       {{"type", "string"},
        {"description", "User status"},
        {"enum", json::array{"active", "inactive", "pending"}},
        {"default", "active"}}},
      {"verified", {{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}};
  json::object params{{"message", "Please review and update the form fields with defaults"},
                      {"requestedSchema", {{"type", "object"}, {"properties", props}, {"required", json::array{}}}}};
  Result failure;
  auto reply = ask(call, "elicitation/create", params, failure);
  if (!reply) return failure;
  return Result::text("Elicitation completed: " + describe_elicit_result(*reply));
}

Result elicitation_sep1330_enums(Call& call, std::string_view) {
  json::array plain{"option1", "option2", "option3"};
  json::object props{
      {"untitledSingle", {{"type", "string"}, {"description", "Choose one option"}, {"enum", plain}}},
      {"titledSingle",
       {{"type", "string"},
        {"description", "Choose one titled option"},
        {"oneOf", titled_options({{"value1", "First Option"}, {"value2", "Second Option"}, {"value3", "Third Option"}})}}},
      {"legacyEnum",
       {{"type", "string"},
        {"description", "Choose one option (legacy enumNames)"},
        {"enum", json::array{"opt1", "opt2", "opt3"}},
        {"enumNames", json::array{"Option One", "Option Two", "Option Three"}}}},
      {"untitledMulti",
       {{"type", "array"},
        {"description", "Choose any options"},
        {"items", {{"type", "string"}, {"enum", plain}}}}},
      {"titledMulti",
       {{"type", "array"},
        {"description", "Choose any titled options"},
        {"items",
         {{"anyOf", titled_options({{"value1", "First Choice"}, {"value2", "Second Choice"}, {"value3", "Third Choice"}})}}}}}};
  json::object params{{"message", "Please pick from each kind of enum field"},
                      {"requestedSchema", {{"type", "object"}, {"properties", props}, {"required", json::array{}}}}};
  Result failure;
  auto reply = ask(call, "elicitation/create", params, failure);
  if (!reply) return failure;
  return Result::text("Elicitation completed: " + describe_elicit_result(*reply));
}

}  // namespace conformance
