#include "registry/lint.hpp"
#include "registry/schema_validator.hpp"

#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "registry/description_hygiene.hpp"
#include "registry/json_locator.hpp"
#include "registry/manifest.hpp"

namespace toolgate {

namespace json = boost::json;
using Severity = LintFinding::Severity;

namespace {

struct CompiledSchema {
  json::value doc;
  valijson::Schema schema;
};

const CompiledSchema& manifest_schema() {
  static const std::unique_ptr<CompiledSchema> compiled = [] {
    auto c = std::make_unique<CompiledSchema>();
    c->doc = json::parse(embedded_manifest_schema());
    c->doc.as_object().erase("$schema");  // valijson picks the draft from the parser, not the document
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::BoostJsonAdapter adapter(c->doc);
    parser.populateSchema(adapter, c->schema);
    return c;
  }();
  return *compiled;
}

class Collector {
 public:
  Collector(const std::string& text) : loc_(text) {}
  void add(Severity s, const std::string& path, const std::string& message, bool at_key = false) {
    const JsonLocation* l = loc_.nearest(path);
    std::size_t offset = 0;
    if (l) offset = at_key && l->key_begin != JsonLocation::npos && loc_.find(path) ? l->key_begin : l->begin;
    LineColumn p = loc_.position(offset);
    out_.push_back({s, p.line, p.column, path, message});
  }
  std::vector<LintFinding>& findings() { return out_; }

 private:
  JsonLocator loc_;
  std::vector<LintFinding> out_;
};

// valijson's context ["<root>", "[tools]", "[0]"] as a JSONPath the locator knows.
std::string schema_path(const std::vector<std::string>& context) {
  std::string out = "$";
  for (const auto& part : context) {
    if (part == "<root>" || part.size() < 2) continue;
    std::string inner = part.substr(1, part.size() - 2);
    bool index = !inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos;
    out = index ? out + "[" + inner + "]" : json_child_path(out, inner);
  }
  return out;
}

// Schema violations, leaf errors only (valijson also reports every enclosing value as failed).
void schema_findings(const json::value& doc, std::vector<std::pair<std::string, std::string>>& out) {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter adapter(doc);
  if (validator.validate(manifest_schema().schema, adapter, &results)) return;
  std::vector<valijson::ValidationResults::Error> all(results.begin(), results.end());
  for (const auto& e : all) {
    bool parent_of_another = false;
    for (const auto& o : all)
      parent_of_another = parent_of_another || (o.context.size() > e.context.size() &&
                                                std::equal(e.context.begin(), e.context.end(), o.context.begin()));
    if (parent_of_another) continue;
    std::string path = schema_path(e.context);
    std::string msg = e.description;
    // Point at the member a message is about, where the parser would.
    for (const char* lead : {"Missing required property '", "'additionalProperties' constraints: '"}) {
      std::size_t at = msg.find(lead);
      if (at == std::string::npos || msg.size() < 2) continue;
      std::size_t b = at + std::string(lead).size();
      std::size_t end = msg.rfind('\'');
      if (end > b) path = json_child_path(path, msg.substr(b, end - b));
    }
    out.emplace_back(path, "schema: " + msg);
  }
}

bool ends_with(const std::string& s, const char* suffix) {
  std::string x(suffix);
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

std::optional<bool> hint(const json::object& tool, const char* key) {
  const json::value* a = tool.if_contains("annotations");
  const json::value* h = a && a->is_object() ? a->get_object().if_contains(key) : nullptr;
  if (!h || !h->is_bool()) return std::nullopt;
  return h->get_bool();
}

void scope_findings(const json::object& root, Collector& c) {
  const json::value* tools = root.if_contains("tools");
  if (!tools || !tools->is_array()) return;
  std::map<std::string, std::vector<std::string>> safe_tools_by_scope;  // scope -> non-destructive tools
  struct Destructive {
    std::string path, name, scope;
  };
  std::vector<Destructive> destructive;
  for (std::size_t i = 0; i < tools->get_array().size(); ++i) {
    const json::value& tv = tools->get_array()[i];
    if (!tv.is_object()) continue;
    const json::object& t = tv.get_object();
    std::string path = "$.tools[" + std::to_string(i) + "]";
    std::string name = t.if_contains("name") && t.at("name").is_string() ? std::string(t.at("name").get_string()) : "";
    const json::value* sv = t.if_contains("scope");
    std::string scope = sv && sv->is_string() ? std::string(sv->get_string()) : "";
    bool read_only = hint(t, "readOnlyHint").value_or(false);
    bool is_destructive = !read_only && hint(t, "destructiveHint").value_or(true);
    if (scope.empty()) {
      c.add(Severity::Warning, sv ? path + ".scope" : path,
            "no scope: every caller is denied this tool unless the policy's tools[\"" + name + "\"].scope names one");
      continue;
    }
    if (scope.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") != std::string::npos)
      c.add(Severity::Warning, path + ".scope",
            "scope '" + scope + "' has characters other than A-Z a-z 0-9 _ . : - (wildcards belong in grants, not in "
            "required scopes)");
    if (!read_only && ends_with(scope, ".read"))
      c.add(Severity::Warning, path + ".scope",
            std::string(is_destructive ? "a destructive" : "a non-read-only") + " tool requires the read scope '" + scope +
                "': everyone allowed to read could change things; use a write scope" +
                (is_destructive ? " or a separate scope for destruction" : ""));
    if (is_destructive)
      destructive.push_back({path, name, scope});
    else
      safe_tools_by_scope[scope].push_back(name);
  }
  for (const auto& d : destructive)
    if (auto it = safe_tools_by_scope.find(d.scope); it != safe_tools_by_scope.end())
      c.add(Severity::Warning, d.path + ".scope",
            "destructive tool '" + d.name + "' shares the scope '" + d.scope + "' with non-destructive tool '" +
                it->second.front() + "': give destructive tools their own scope so grants can leave them out");
}

void hygiene_findings(const json::value& v, const std::string& path, const std::string& key, Collector& c) {
  if (v.is_object()) {
    for (const auto& kv : v.get_object()) {
      std::string k(kv.key());
      std::string child = json_child_path(path, k);
      for (const auto& p : description_problems(k, {false, false})) c.add(Severity::Warning, child, "member name " + p, true);
      hygiene_findings(kv.value(), child, k, c);
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i)
      hygiene_findings(v.get_array()[i], path + "[" + std::to_string(i) + "]", "", c);
  } else if (v.is_string()) {
    static const std::set<std::string> technical = {"$.sha256", "$.library", "$[\"$schema\"]", "$.version",
                                                     "$.signature.keyId", "$.signature.algorithm", "$.signature.value"};
    HygieneOptions o;
    o.check_length = key == "description";
    o.check_content = !technical.count(path);
    for (const auto& p : description_problems(v.get_string(), o)) c.add(Severity::Warning, path, p);
  }
}

}  // namespace

std::vector<LintFinding> lint_manifest(const std::string& text) {
  Collector c(text);
  JsonErrors syntax;
  auto doc = parse_json_text(text, "manifest", syntax);
  if (!doc) {
    std::size_t line = 1, column = 1;
    const std::string& e = syntax.items().front();
    std::size_t at = e.find("at line ");
    if (at != std::string::npos) std::sscanf(e.c_str() + at, "at line %zu, column %zu", &line, &column);
    std::size_t reason = e.find(": ", at == std::string::npos ? 0 : at);
    c.findings().push_back({Severity::Error, line, column, "$",
                            "invalid JSON" + (reason == std::string::npos ? std::string() : e.substr(reason))});
    return c.findings();
  }

  JsonErrors parser_errors;
  parse_manifest(text, "M", parser_errors);
  std::set<std::string> parser_paths;
  for (const auto& item : parser_errors.items()) {
    std::string e = item.substr(3);  // "M: "
    std::size_t colon = e.find(": ");
    std::string path = colon == std::string::npos ? "$" : e.substr(0, colon);
    parser_paths.insert(path);
    c.add(Severity::Error, path, colon == std::string::npos ? e : e.substr(colon + 2), e.find("unknown field") != std::string::npos);
  }
  std::vector<std::pair<std::string, std::string>> schema_errors;
  schema_findings(*doc, schema_errors);
  for (const auto& [path, message] : schema_errors)
    if (!parser_paths.count(path)) c.add(Severity::Error, path, message);

  if (doc->is_object()) {
    const json::object& root = doc->get_object();
    if (const json::value* sha = root.if_contains("sha256"); sha && sha->is_string() && is_placeholder_sha256(sha->get_string()))
      c.add(Severity::Warning, "$.sha256", "the sha256 is a placeholder: lint the manifest the build wrote next to the library (toolgate_add_plugin "
            "fills it in), or run `toolgate manifest hash MANIFEST --library PATH` after building");
    scope_findings(root, c);
    // The loader compiles every tool's schemas and refuses the plugin when one does not: a bad
    // $ref, a misspelt type, a pattern that is not a regular expression.
    if (const json::value* tools = root.if_contains("tools"); tools && tools->is_array())
      for (std::size_t i = 0; i < tools->get_array().size(); ++i) {
        const json::value& t = tools->get_array()[i];
        if (!t.is_object()) continue;
        for (const char* which : {"inputSchema", "outputSchema"}) {
          const json::value* s = t.get_object().if_contains(which);
          if (!s || !s->is_object()) continue;
          std::string path = "$.tools[" + std::to_string(i) + "]." + which;
          if (parser_paths.count(path)) continue;
          try {
            SchemaValidator compiled(s->get_object());
          } catch (const std::exception& e) {
            c.add(Severity::Error, path, e.what());
          }
        }
      }
  }
  hygiene_findings(*doc, "$", "", c);

  auto& out = c.findings();
  std::stable_sort(out.begin(), out.end(), [](const LintFinding& a, const LintFinding& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return out;
}

std::string format_finding(const std::string& file, const LintFinding& f) {
  return file + ":" + std::to_string(f.line) + ":" + std::to_string(f.column) + ": " +
         (f.severity == Severity::Error ? "error" : "warning") + ": " + f.path + ": " + f.message;
}

}  // namespace toolgate
