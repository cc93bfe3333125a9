// A response redaction replaces a selected value with the string "[REDACTED]", whatever its
// type. A tool that declares an outputSchema promises structuredContent that conforms to it, and
// clients validate against it (the specification says they should), so a redacted integer would
// make a correct result look broken. The schema a client is shown therefore admits the mark
// wherever a path of the policy may put it: that location becomes
// {"anyOf": [<what it was>, {"const": "[REDACTED]"}]}.
// Pure logic on a copy of the schema; toolgate's own validation still uses the original, before
// redaction.
#pragma once

#include <boost/json.hpp>

#include "policy/redaction_path.hpp"

namespace toolgate {

// Rewrites `schema` for `path`. False when the walk met a "$ref" on the way, which it does not
// follow: the caller cannot vouch for the schema then and should not advertise it.
bool admit_redaction_mark(const RedactionPath& path, boost::json::value& schema);

}  // namespace toolgate
