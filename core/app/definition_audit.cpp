#include "app/definition_audit.hpp"

namespace toolgate {

namespace json = boost::json;

CallRecord definition_change_record(const DefinitionChangeEvent& event) {
  CallRecord r;
  r.tool = event.tool;
  r.plugin = event.plugin;
  r.plugin_version = event.version;
  r.manifest_digest = event.manifest_digest;
  r.principal.subject = "toolgate";
  r.outcome = "definition_changed";
  r.error_code = event.refused ? "definition_refused" : "definition_flagged";
  r.error_message = "tool '" + event.tool + "' of plugin " + event.plugin + " " + event.version + ": " + event.change +
                    " without a version change; " +
                    (event.refused ? "the plugin was refused" : "the plugin was loaded anyway (onDefinitionChange is warn)");
  json::array fields;
  for (const auto& f : event.fields) fields.emplace_back(f);
  r.input = json::object{{"change", event.change},
                         {"fields", std::move(fields)},
                         {"action", event.refused ? "refused" : "flagged"},
                         {"manifest", event.manifest_file},
                         {"pinsFile", event.pins_file}};
  return r;
}

DefinitionChangeListener audit_definition_changes(CallPolicy& policy) {
  return [&policy](const DefinitionChangeEvent& event, std::string& why) {
    return policy.record(definition_change_record(event), why);
  };
}

}  // namespace toolgate
