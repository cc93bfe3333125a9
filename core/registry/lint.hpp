// `toolgate manifest lint`: everything wrong or suspicious in a manifest, each finding located at
// the line and column of the offending JSON value in the file. Errors: invalid JSON, violations of
// manifests/manifest.schema.json (compiled into the binary, see embed_schema.cmake), and every
// problem the loader's strict parser would refuse (annotation honesty, scope rules). Warnings:
// scope conventions (a missing scope, destructive tools behind read scopes or sharing a scope
// with safe tools), a placeholder sha256, and description hygiene (description_hygiene.hpp) on
// every string of the manifest.
// Pure functions of the text; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

struct LintFinding {
  enum class Severity { Error, Warning } severity = Severity::Error;
  std::size_t line = 1;
  std::size_t column = 1;
  std::string path;     // JSONPath of the value, "$" for the document
  std::string message;
};

// Findings sorted by position.
std::vector<LintFinding> lint_manifest(const std::string& text);
// "FILE:LINE:COLUMN: error: $.tools[0].scope: message"
std::string format_finding(const std::string& file, const LintFinding& f);

// The text of manifests/manifest.schema.json as of the build (generated source).
std::string_view embedded_manifest_schema();

}  // namespace toolgate
