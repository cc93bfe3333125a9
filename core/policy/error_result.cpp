#include "policy/error_result.hpp"

namespace toolgate {

namespace json = boost::json;

json::object error_result(const std::string& code, const std::string& message, const json::object& extra) {
  json::object err = extra;
  err["code"] = code;
  err["message"] = message;
  json::object meta;
  meta[kErrorMetaKey] = std::move(err);
  json::object result;
  result["content"] = json::array{json::object{{"type", "text"}, {"text", message}}};
  result["isError"] = true;
  result["_meta"] = std::move(meta);
  return result;
}

}  // namespace toolgate
