// Audit records for tool definitions that changed under a pinned plugin version (the "rug
// pull"): the registry reports each changed tool, and this turns it into one audit entry with
// outcome `definition_changed`, written through the same policy (and so the same chain, taps and
// fail mode) as every call.
//
// The entry: actor "toolgate" (the host acted, not a caller), empty tenant, tool = the changed
// tool, plugin and pluginVersion, manifestDigest of the manifest now on disk, errorCode
// "definition_refused" (plugins.onDefinitionChange "refuse") or "definition_flagged" ("warn",
// the plugin loaded anyway), a plain errorMessage, and input = {"change", "fields", "action",
// "manifest", "pinsFile"} so an auditor can query what changed without parsing prose.
#pragma once

#include "protocol/call_policy.hpp"
#include "registry/tool_registry.hpp"

namespace toolgate {

// The audit record for one definition change.
CallRecord definition_change_record(const DefinitionChangeEvent& event);

// A registry listener that records every change through `policy` (which must outlive the
// registry's reloads). Returns false, with the audit's reason, when the entry was not written.
DefinitionChangeListener audit_definition_changes(CallPolicy& policy);

}  // namespace toolgate
