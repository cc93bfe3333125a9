// Canonical JSON: object keys sorted (byte order) at every depth, no whitespace, Boost.JSON's
// number and string formatting. Two documents that differ only in key order canonicalise to the
// same bytes, so digests over arguments or audit entries do not depend on how a client ordered
// its keys. Pure; thread-safe.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace toolgate {

std::string canonical_json(const boost::json::value& v);

}  // namespace toolgate
