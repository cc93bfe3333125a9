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
// broken one would blame every caller's arguments. Compile them all up front instead. Values
// that are data rather than schema (const, enum, default, examples) are not looked into.
void check_patterns(const json::value& v, const std::string& path) {
  if (v.is_array()) {
    const json::array& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) check_patterns(a[i], path + "[" + std::to_string(i) + "]");
    return;
  }
  if (!v.is_object()) return;
  for (const auto& kv : v.get_object()) {
    std::string key(kv.key());
    if (key == "const" || key == "enum" || key == "default" || key == "examples") continue;
    std::vector<std::string> patterns;
    if (key == "pattern" && kv.value().is_string()) patterns.emplace_back(kv.value().get_string());
    if (key == "patternProperties" && kv.value().is_object())
      for (const auto& p : kv.value().get_object()) patterns.emplace_back(p.key());
    for (const auto& p : patterns) {
      try {
        std::regex re(p, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        throw std::runtime_error("the regular expression \"" + p + "\" at " + path + "." + key + " does not compile: " +
                                 e.what());
      }
    }
    check_patterns(kv.value(), path + "." + key);
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
    check_patterns(schema_doc_, "$");
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
