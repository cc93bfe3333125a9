#include "registry/schema_validator.hpp"

#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <regex>
#include <stdexcept>

namespace toolgate {

namespace json = boost::json;

namespace {
// valijson compiles a "pattern" (std::regex, ECMAScript) only when a value reaches it, so a
// broken one would blame every caller's arguments. Compile them all up front instead, walking
// the schema by its keywords: maps of subschemas (properties, ...) by their members, so that a
// property named "pattern" or "default" is a subschema like any other, and data keywords
// (const, enum, default, examples) not at all.
void check_schema(const json::value& v, const std::string& path);

void compile(const std::string& p, const std::string& where) {
  try {
    std::regex re(p, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw std::runtime_error("the regular expression \"" + p + "\" at " + where + " does not compile: " + e.what());
  }
}

void check_schema(const json::value& v, const std::string& path) {
  if (!v.is_object()) return;
  for (const auto& kv : v.get_object()) {
    std::string key(kv.key());
    const json::value& val = kv.value();
    std::string at = path + "." + key;
    if (key == "pattern" && val.is_string()) {
      compile(std::string(val.get_string()), at);
    } else if (key == "properties" || key == "patternProperties" || key == "$defs" || key == "definitions" ||
               key == "dependentSchemas" || key == "dependencies") {
      if (!val.is_object()) continue;
      for (const auto& m : val.get_object()) {
        if (key == "patternProperties") compile(std::string(m.key()), at + " (a key)");
        check_schema(m.value(), at + "." + std::string(m.key()));
      }
    } else if (key == "allOf" || key == "anyOf" || key == "oneOf" || key == "prefixItems" ||
               (key == "items" && val.is_array())) {
      if (!val.is_array()) continue;
      for (std::size_t i = 0; i < val.get_array().size(); ++i)
        check_schema(val.get_array()[i], at + "[" + std::to_string(i) + "]");
    } else if (key == "items" || key == "additionalProperties" || key == "additionalItems" || key == "not" ||
               key == "if" || key == "then" || key == "else" || key == "contains" || key == "propertyNames" ||
               key == "unevaluatedProperties" || key == "unevaluatedItems") {
      check_schema(val, at);
    }
  }
}
}  // namespace

SchemaValidator::SchemaValidator(const json::object& schema) : schema_doc_(schema), schema_(std::make_unique<valijson::Schema>()) {
  // valijson reads "$schema" to pick a draft and rejects drafts it does not know; tool schemas
  // routinely name 2020-12, whose keywords we need are the draft-7 ones, so parse without it.
  schema_doc_.get_object().erase("$schema");
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::BoostJsonAdapter adapter(schema_doc_);
    parser.populateSchema(adapter, *schema_);
    check_schema(schema_doc_, "$");
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("schema cannot be compiled: ") + e.what());
  }
}

SchemaValidator::~SchemaValidator() = default;

namespace {
// valijson reports a context like ["<root>", "[items]", "[0]"]; render it as a JSONPath.
std::string render_path(const std::vector<std::string>& context) {
  std::string out = "$";
  for (const auto& part : context) {
    if (part == "<root>") continue;
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']') {
      std::string inner = part.substr(1, part.size() - 2);
      bool index = !inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos;
      out += index ? "[" + inner + "]" : "." + inner;
    } else {
      out += "." + part;
    }
  }
  return out;
}
}  // namespace

std::string SchemaValidator::validate(const json::value& instance) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter adapter(instance);
  try {
    if (validator.validate(*schema_, adapter, &results)) return {};
  } catch (const std::exception& e) {
    // A JSON Schema "pattern" the C++ regex engine cannot compile (e.g. \p{L}) is only found
    // when a value reaches it; report it instead of letting it escape a worker thread.
    return std::string("$: the schema cannot be evaluated by this host: ") + e.what();
  }
  // The deepest errors name the offending field; summary errors about parents add noise.
  std::string out;
  valijson::ValidationResults::Error err;
  std::size_t shown = 0, deepest = 0;
  std::vector<valijson::ValidationResults::Error> all;
  while (results.popError(err)) {
    deepest = std::max(deepest, err.context.size());
    all.push_back(err);
  }
  for (const auto& e : all) {
    if (e.context.size() != deepest) continue;
    if (shown++ == 3) break;
    if (!out.empty()) out += "; ";
    out += render_path(e.context) + ": " + e.description;
  }
  return out;
}

}  // namespace toolgate
