// ToolCall's consent for destructive tools: asked through elicitation/create in the initialize
// era, or through an input_required result and a sealed requestState in the 2026-07-28 era.
// Kept apart from tool_call.cpp, which runs the call's pipeline.
#include "policy/error_result.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/tool_call.hpp"
#include "protocol/versions.hpp"
#include "util/digest.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

json::object consent_schema() {
  return json::object{{"type", "object"},
                      {"properties", json::object{{"confirm", json::object{{"type", "boolean"},
                                                                          {"title", "Confirm"},
                                                                          {"description", "Run this destructive tool?"}}}}},
                      {"required", json::array{"confirm"}}};
}

std::string consent_message(const ToolManifest& m, const json::object& args) {
  std::string shown = json::serialize(args);
  if (shown.size() > 500) shown = shown.substr(0, 500) + "...";
  return "Allow the destructive tool " + (m.title.empty() ? m.name : m.title + " (" + m.name + ")") +
         " to run with arguments " + shown + "? It may change or delete data.";
}

// An elicitation answer means yes only when the user accepted and ticked confirm.
bool confirmed(const json::value& answer, std::string& why) {
  const json::object* o = answer.if_object();
  const json::value* action = o ? o->if_contains("action") : nullptr;
  if (!action || !action->is_string()) {
    why = "the client's answer had no action";
    return false;
  }
  if (*action != "accept") {
    why = "the user chose to " + std::string(action->get_string());
    return false;
  }
  const json::value* content = o->if_contains("content");
  const json::value* c = content && content->is_object() ? content->get_object().if_contains("confirm") : nullptr;
  if (!c || *c != true) {
    why = "the user did not confirm";
    return false;
  }
  return true;
}

}  // namespace

bool ToolCall::obtain_consent() {
  return session_.stateless ? consent_stateless() : consent_by_elicitation();
}

bool ToolCall::consent_by_elicitation() {
  const ToolManifest& m = *tool_->manifest;
  if (!client_supports_form_elicitation()) {
    // Spell out the exact policy entries, so the operator can copy the one they mean.
    json::object tenant_only{{"tenant", principal_.tenant}};
    json::object principal_only{{"tenant", principal_.tenant}, {"subject", principal_.subject}};
    deny("consent_declined",
         "tool " + m.name + (m.destructive() ? " is destructive and needs" : " needs (by the policy's consent.tools)") +
             " the user's consent, but this client cannot be asked (it did not "
         "declare form elicitation). An operator can allow it without asking in the policy file: for this principal add " +
             json::serialize(principal_only) + " to consent.exempt, for the whole tenant add " +
             json::serialize(tenant_only) + ", or for this tool only set consent.tools." + m.name + " to false.");
    return false;
  }
  json::object params{{"message", consent_message(m, args_)}, {"requestedSchema", consent_schema()}};
  if (features_of(session_.version).icons) params["mode"] = "form";
  std::string reply;
  auto timeout = static_cast<std::uint32_t>(server_.options().consent_timeout_ms);
  int rc = client_request("elicitation/create", json::serialize(params), timeout, reply);
  if (rc == TG_ERR_CANCELLED) {
    if (client_cancelled_)
      finish(error_result("cancelled", "cancelled by the client"), "cancelled", "cancelled", "cancelled by the client");
    return false;
  }
  std::string why;
  if (rc == TG_ERR_TIMEOUT) {
    why = "no answer within " + std::to_string(timeout / 1000) + " s";
  } else if (rc != TG_OK) {
    why = "the client could not ask the user: " + reply;
  } else {
    json::value answer;
    std::string err;
    if (parse_json_line(reply, answer, err) && confirmed(answer, why)) {
      consent_id_ = uuid_v4();
      return true;
    }
    if (why.empty()) why = "the client's answer was not understood";
  }
  deny("consent_declined", "tool " + m.name + " did not run: consent was not given (" + why + ")");
  return false;
}

bool ToolCall::consent_stateless() {
  const ToolManifest& m = *tool_->manifest;
  RequestStateClaims claims{principal_.subject, principal_.tenant, m.name, args_digest(args_)};
  // Asks (again) for the user's confirmation: an input_required result with a fresh sealed state.
  auto ask_for_consent = [&] {
    json::object ask{{"method", "elicitation/create"},
                     {"params", json::object{{"mode", "form"},
                                             {"message", consent_message(m, args_)},
                                             {"requestedSchema", consent_schema()}}}};
    json::object result{{"resultType", "input_required"},
                        {"inputRequests", json::object{{"confirm", std::move(ask)}}},
                        {"requestState", server_.request_states().seal(claims)}};
    finish(std::move(result), "input_required", "", "");
    return false;
  };
  auto invalid_params = [&](const std::string& msg) {
    finish(error_result("invalid_input", msg), "invalid_input", "invalid_input_responses", msg,
           json::object{{"code", rpc::kInvalidParams}, {"message", msg}});
    return false;
  };
  if (extras_.request_state.empty()) {
    if (!client_supports_form_elicitation()) {
      json::object data{{"requiredCapabilities", json::object{{"elicitation", json::object{{"form", json::object()}}}}}};
      std::string msg = "Cannot request input 'confirm' (elicitation/create) to run the destructive tool " + m.name +
                        ": the request's client capabilities do not declare form elicitation";
      finish(error_result("consent_declined", msg), "consent_declined", "missing_client_capability", msg,
             json::object{{"code", -32021}, {"message", msg}, {"data", data}});
      return false;
    }
    return ask_for_consent();
  }
  // A malformed answer is a protocol error (the spec's "invalid schema"), checked before the
  // state is spent so a client bug does not burn the user's pending question.
  const json::value* answer = nullptr;
  if (!extras_.input_responses.is_null()) {
    if (!extras_.input_responses.is_object())
      return invalid_params("tools/call: params.inputResponses must be an object");
    answer = extras_.input_responses.get_object().if_contains("confirm");
    if (answer) {
      const json::object* o = answer->if_object();
      const json::value* action = o ? o->if_contains("action") : nullptr;
      if (!action || !(*action == "accept" || *action == "decline" || *action == "cancel"))
        return invalid_params("tools/call: params.inputResponses.confirm must be an elicitation result whose action is "
                              "accept, decline or cancel");
      const json::value* content = o->if_contains("content");
      if (content && !content->is_object())
        return invalid_params("tools/call: params.inputResponses.confirm.content must be an object");
    }
  }
  std::string invalid = server_.request_states().open(extras_.request_state, claims);
  if (!invalid.empty()) {
    // Audited as a consent refusal whose errorCode says the token itself was bad (forged,
    // replayed, expired or issued for another caller, tool or arguments), not the user's answer.
    std::string why = "tool " + m.name + " did not run: " + invalid;
    finish(error_result("consent_declined", why, json::object{{"reason", "invalid_request_state"}}), "consent_declined",
           "invalid_request_state", why);
    return false;
  }
  // A retry that left the question unanswered is asked again, as the MRTR pattern recommends,
  // rather than refused.
  if (!answer) return ask_for_consent();
  std::string why;
  if (confirmed(*answer, why)) {
    consent_id_ = uuid_v4();
    return true;
  }
  deny("consent_declined", "tool " + m.name + " did not run: consent was not given (" + why + ")");
  return false;
}

// Consent asks with a form. An empty elicitation capability means form (the spec keeps that for
// compatibility); a client that lists modes must list form.
bool ToolCall::client_supports_form_elicitation() const {
  if (!features_of(session_.version).elicitation) return false;  // before 2025-06-18 there is none
  const json::value* e = session_.client_capabilities.if_contains("elicitation");
  if (!e || !e->is_object()) return false;
  const json::object& modes = e->get_object();
  return modes.empty() || modes.contains("form");
}

}  // namespace toolgate
