// Compiled JSON Schemas for tool arguments and structured output, backed by valijson (draft 7
// semantics; $defs and $ref by JSON pointer work, so 2020-12 schemas in the common subset do too).
// A validator is built once per tool at load time and then used concurrently: validate() is const
// and allocates its own per-call state.
#pragma once

#include <boost/json.hpp>

#include <memory>
#include <string>

namespace valijson {
class Schema;
}

namespace toolgate {

class SchemaValidator {
 public:
  // Throws std::runtime_error with a readable reason if the schema cannot be compiled.
  explicit SchemaValidator(const boost::json::object& schema);
  ~SchemaValidator();

  // Empty string if valid; otherwise "<path>: <reason>" for the first few failures, e.g.
  // "$.text: expected type string, got integer".
  std::string validate(const boost::json::value& instance) const;

 private:
  boost::json::value schema_doc_;  // the adapter refers into this; keep it alive
  std::unique_ptr<valijson::Schema> schema_;
};

}  // namespace toolgate
