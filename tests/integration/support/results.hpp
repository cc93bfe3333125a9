// Small readers for what tests get back from toolgate: a tools/call request, the first text of a
// result, the error code toolgate puts in a result's _meta, and the entries of an audit file.
// Shared so every test reads responses and audit files the same way.
#pragma once

#include <boost/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace toolgate::testing {

inline boost::json::value call_request(const boost::json::value& id, const std::string& tool,
                                       boost::json::object args = {}) {
  return boost::json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"},
                             {"params", {{"name", tool}, {"arguments", std::move(args)}}}};
}

// The text of a result's first content block.
inline std::string text_of(const boost::json::object& result) {
  return std::string(result.at("content").as_array()[0].as_object().at("text").as_string());
}

// `_meta["dev.toolgate/error"].code`, or "" when the result carries none.
inline std::string error_code_of(const boost::json::object& result) {
  const auto* meta = result.if_contains("_meta");
  if (!meta || !meta->is_object()) return "";
  const auto* err = meta->as_object().if_contains("dev.toolgate/error");
  if (!err || !err->is_object()) return "";
  return std::string(err->as_object().at("code").as_string());
}

// Every entry of `dir`/audit.jsonl (the active file), in order.
inline std::vector<boost::json::object> audit_entries(const std::string& dir) {
  std::vector<boost::json::object> out;
  std::ifstream in(dir + "/audit.jsonl");
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  return out;
}

}  // namespace toolgate::testing
