// Starting toolgate for the reference plugin tests (see reference_fixture.hpp).
#include "reference_fixture.hpp"

#include <stdexcept>

namespace toolgate::testing {

namespace json = boost::json;

void stage_reference_plugin(const std::string& plugin_dir, const std::string& name, const json::object& config) {
  copy_plugin(staged_plugin_dir(), plugin_dir, name);
  std::string manifest = plugin_dir + "/" + name + ".json";
  json::object m = json::parse(read_text(manifest)).as_object();
  if (config.empty())
    m.erase("config");
  else
    m["config"] = config;
  write_text(manifest, json::serialize(m));
}

std::unique_ptr<McpProcess> start_toolgate(const std::string& plugin_dir, const std::string& policy_dir,
                                           const Caller& caller) {
  json::array scopes;
  for (const auto& s : caller.scopes) scopes.emplace_back(s);
  json::object policy{{"plugins", {{"directory", plugin_dir}}},
                      {"identity", {{"anonymous", {{"tenant", caller.tenant}, {"scopes", std::move(scopes)}}}}}};
  if (caller.consent_exempt) policy["consent"] = json::object{{"exempt", json::array{json::object{{"tenant", caller.tenant}}}}};
  std::string path = policy_dir + "/policy-" + caller.tenant + ".json";
  write_text(path, json::serialize(policy));
  auto p = std::make_unique<McpProcess>(McpProcess::Options{{"serve", "--config", path}, {}, false});
  p->initialize();
  return p;
}

bool is_error(const json::object& result) {
  auto* e = result.if_contains("isError");
  return e && e->is_bool() && e->get_bool();
}

std::string text_of(const json::object& result) {
  const json::array& content = result.at("content").as_array();
  for (const auto& item : content)
    if (item.as_object().at("type") == "text") return std::string(item.as_object().at("text").as_string());
  return "";
}

const json::object& structured(const json::object& result) {
  auto* s = result.if_contains("structuredContent");
  if (!s || !s->is_object()) throw std::runtime_error("no structuredContent in " + json::serialize(result));
  return s->get_object();
}

std::string error_code(const json::object& result) {
  auto* meta = result.if_contains("_meta");
  if (!meta || !meta->is_object()) return "";
  auto* err = meta->get_object().if_contains("dev.toolgate/error");
  if (!err || !err->is_object()) return "";
  return std::string(err->get_object().at("code").as_string());
}

}  // namespace toolgate::testing
