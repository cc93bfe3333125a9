// The one value that stands in for anything toolgate hides: secrets scrubbed from audit entries
// and diagnostics (audit/redactor.hpp) and fields removed from responses by the policy's
// `redact.response` paths (policy/response_redaction.hpp). One constant, so a reader of a
// response and an auditor reading the log see the same marker.
#pragma once

#include <string_view>

namespace toolgate {

inline constexpr std::string_view kRedactedMark = "[REDACTED]";

}  // namespace toolgate
