#include "policy/redaction_schema.hpp"

#include "util/redacted_mark.hpp"

#include <functional>

namespace toolgate {

namespace json = boost::json;

namespace {

using Step = RedactionPath::Step;

// JSON Schema nesting beyond this is not walked (a schema is operator-supplied, not hostile, but
// recursion stays bounded).
constexpr int kMaxDepth = 64;

bool is_marked(const json::object& o) {
  const json::value* any = o.if_contains("anyOf");
  if (!any || !any->is_array() || any->get_array().size() != 2) return false;
  const json::value& second = any->get_array()[1];
  return second.is_object() && second.get_object().size() == 1 && second.get_object().contains("const") &&
         second.get_object().at("const") == json::value(std::string(kRedactedMark));
}

void mark(json::value& node) {
  if (node.is_object() && is_marked(node.get_object())) return;
  if (node.is_bool() && node.get_bool()) return;  // `true` admits anything already
  json::value old = std::move(node);
  node = json::object{{"anyOf", json::array{std::move(old), json::object{{"const", std::string(kRedactedMark)}}}}};
}

// Calls `f` on every subschema a member or element of an instance of `o` is checked against.
void each_child(json::object& o, bool members, bool elements, const std::function<void(json::value&)>& f) {
  if (members) {
    if (auto* p = o.if_contains("properties"); p && p->is_object())
      for (auto& kv : p->get_object()) f(kv.value());
    if (auto* p = o.if_contains("patternProperties"); p && p->is_object())
      for (auto& kv : p->get_object()) f(kv.value());
    if (auto* a = o.if_contains("additionalProperties"); a && a->is_object()) f(*a);
  }
  if (elements) {
    if (auto* i = o.if_contains("items"); i && i->is_object()) f(*i);
    if (auto* i = o.if_contains("items"); i && i->is_array())
      for (auto& e : i->get_array()) f(e);
    if (auto* p = o.if_contains("prefixItems"); p && p->is_array())
      for (auto& e : p->get_array()) f(e);
    if (auto* a = o.if_contains("additionalItems"); a && a->is_object()) f(*a);
  }
}

class Walk {
 public:
  explicit Walk(const std::vector<Step>& steps) : steps_(steps) {}
  bool complete() const { return complete_; }

  void at(json::value& node, std::size_t i, int depth) {
    if (depth > kMaxDepth || !node.is_object()) {
      if (i == steps_.size()) mark(node);
      return;
    }
    if (i == steps_.size()) return mark(node);
    json::object& o = node.get_object();
    // A location marked already (another path reached it): walk what it was.
    if (is_marked(o)) return at(o.at("anyOf").get_array()[0], i, depth + 1);
    // Keywords whose verdict a mark inside could change in ways a local anyOf cannot fix: a
    // reference not followed, "exactly one branch" (a mark may fit several), negation,
    // conditionals, and whole-value lists. On the way to a redacted location they make the
    // schema one toolgate cannot vouch for.
    for (const char* k : {"$ref", "$dynamicRef", "oneOf", "not", "if", "enum", "const", "dependentSchemas",
                          "dependencies", "unevaluatedProperties", "unevaluatedItems"})
      if (o.contains(k)) complete_ = false;
    // A value may be checked against every branch of a combinator: follow each.
    for (const char* k : {"anyOf", "allOf"})
      if (auto* b = o.if_contains(k); b && b->is_array())
        for (auto& branch : b->get_array()) at(branch, i, depth + 1);
    const Step& s = steps_[i];
    switch (s.kind) {
      case Step::Kind::Member: {
        bool named = false;
        if (auto* p = o.if_contains("properties"); p && p->is_object())
          if (auto* child = p->get_object().if_contains(s.name)) {
            at(*child, i + 1, depth + 1);
            named = true;
          }
        // A named member is also checked against every patternProperties entry its name
        // matches; all of them are relaxed (more than needed is harmless).
        if (auto* p = o.if_contains("patternProperties"); p && p->is_object())
          for (auto& kv : p->get_object()) at(kv.value(), i + 1, depth + 1);
        if (!named)
          if (auto* a = o.if_contains("additionalProperties"); a && a->is_object()) at(*a, i + 1, depth + 1);
        break;
      }
      case Step::Kind::Index:
        if (auto* p = o.if_contains("prefixItems"); p && p->is_array() && s.index < p->get_array().size())
          at(p->get_array()[s.index], i + 1, depth + 1);
        if (auto* it = o.if_contains("items"); it && it->is_array() && s.index < it->get_array().size())
          at(it->get_array()[s.index], i + 1, depth + 1);
        else if (auto* it = o.if_contains("items"); it && it->is_object())
          at(*it, i + 1, depth + 1);
        if (auto* a = o.if_contains("additionalItems"); a && a->is_object()) at(*a, i + 1, depth + 1);
        break;
      case Step::Kind::Wildcard:
        each_child(o, true, true, [&](json::value& c) { at(c, i + 1, depth + 1); });
        break;
      case Step::Kind::Descend:
        at(node, i + 1, depth);  // the selector after '..' applies here, then at every depth below
        each_child(node.get_object(), true, true, [&](json::value& c) { at(c, i, depth + 1); });
        break;
    }
  }

 private:
  const std::vector<Step>& steps_;
  bool complete_ = true;
};

}  // namespace

bool admit_redaction_mark(const RedactionPath& path, json::value& schema) {
  Walk w(path.steps());
  w.at(schema, 0, 0);
  return w.complete();
}

}  // namespace toolgate
