// Indented JSON for people at a terminal (Boost.JSON only serializes compactly).
#pragma once

#include <boost/json.hpp>

#include <string>

namespace toolgate {

std::string pretty_json(const boost::json::value& v, int indent = 2);

}  // namespace toolgate
