// RFC 3339 timestamps for key files and the keys CLI ("created", "expires"). Everything is kept
// and printed in UTC with whole seconds; offsets on input are honoured. Pure functions;
// thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

using SysTime = std::chrono::system_clock::time_point;

// "2027-01-01T12:00:00Z", "2027-01-01T12:00:00.5+02:00"; nullopt if malformed or out of range.
std::optional<SysTime> parse_rfc3339(std::string_view text);
// Also accepts a bare date "2027-01-01", meaning midnight UTC at the start of that day.
std::optional<SysTime> parse_date_or_rfc3339(std::string_view text);
// "2027-01-01T00:00:00Z" (fractions of a second are dropped).
std::string format_rfc3339(SysTime t);

}  // namespace toolgate
