// Checks for the policy sections that config.cpp does not turn into Config fields itself:
// the top-level `redact` section's shape (its response paths are applied by the redaction code)
// and a side-effect-free pass over the sections other areas parse when the policy is applied
// (identity, rateLimits, audit), so a test or a tool can validate a whole file without starting
// anything. Pure functions; errors name their JSONPath.
#pragma once

#include "app/config.hpp"

namespace toolgate {

// `redact`: { extraKeys: [string], extraPatterns: [regex], response: [path], perTool: {tool: [path]} }.
// Reads the section behind root.object("redact") strictly (unknown fields are errors).
void check_redact_section(JsonObjectReader& root);

// Parses identity, rateLimits and audit from `config.raw` as applying the policy would, adding
// every problem to `errors`. True when there were none. Reads key files it names, builds nothing.
bool check_area_sections(const Config& config, JsonErrors& errors);

}  // namespace toolgate
