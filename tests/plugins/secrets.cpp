// Fixture for response redaction: tools whose output carries fields a policy hides. `account`
// returns structuredContent (and, through Result::structured, the same JSON as text); `profile`
// returns JSON only as text content; `failing` is a tool error whose text is JSON (the audit
// entry keeps that text as errorMessage); `account_job` runs as a job and emits a partial result
// with a secret before returning the account. Values are fixed so tests can search for them.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include <string>

namespace json = boost::json;
using toolgate::Call;
using toolgate::Result;

namespace {

json::object account_object() {
  return json::object{
      {"data", json::object{{"private_ip", "10.1.2.3"}, {"public_ip", "203.0.113.9"}}},
      {"password", "hunter2-top"},
      {"items", json::array{json::object{{"id", 1}, {"token", "tok-aaa"}}, json::object{{"id", 2}, {"token", "tok-bbb"}}}},
      {"nested", json::object{{"deep", json::object{{"password", "deep-pw-1"}}}}},
      {"owner", json::object{{"name", "Alice"}, {"email", "alice@corp.example"}}}};
}

Result account(Call&, std::string_view) { return Result::structured(json::serialize(account_object())); }

Result profile(Call&, std::string_view) {
  json::object p{{"owner", json::object{{"name", "Alice"}, {"email", "alice@corp.example"}}},
                 {"data", json::object{{"private_ip", "10.4.4.4"}}}};
  return Result::text(json::serialize(p)).add_text("plain text, not JSON: 10.4.4.4");
}

Result failing(Call&, std::string_view) {
  return Result::error(json::serialize(
      json::object{{"error", "backend refused"}, {"data", json::object{{"private_ip", "10.0.0.99"}}}}));
}

Result account_job(Call& call, std::string_view) {
  call.partial(json::serialize(json::object{{"step", 1}, {"data", json::object{{"private_ip", "10.7.7.7"}}}}));
  return Result::structured(json::serialize(account_object()));
}

}  // namespace

TOOLGATE_PLUGIN("fx_secrets", "1.0.0") {
  plugin.tool("account", account);
  plugin.tool("profile", profile);
  plugin.tool("failing", failing);
  plugin.tool("account_job", account_job);
}
