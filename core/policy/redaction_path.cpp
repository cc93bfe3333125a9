#include "policy/redaction_path.hpp"

#include "util/redacted_mark.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string at(std::size_t pos) { return " at offset " + std::to_string(pos); }

// Reads what follows '.' (a name or '*'), advancing pos.
bool read_dot_selector(std::string_view t, std::size_t& pos, RedactionPath::Step& step, std::string& error) {
  if (pos < t.size() && t[pos] == '*') {
    step.kind = RedactionPath::Step::Kind::Wildcard;
    ++pos;
    return true;
  }
  std::size_t start = pos;
  while (pos < t.size() && name_char(t[pos])) ++pos;
  if (pos == start) {
    error = "expected a member name or '*'" + at(start) +
            " (names with other characters go in brackets: ['my key'])";
    return false;
  }
  step.kind = RedactionPath::Step::Kind::Member;
  step.name = std::string(t.substr(start, pos - start));
  return true;
}

// Reads a bracket selector starting at '[': [*], [N], ['name'] or ["name"].
bool read_bracket(std::string_view t, std::size_t& pos, RedactionPath::Step& step, std::string& error) {
  std::size_t open = pos++;
  if (pos < t.size() && t[pos] == '*') {
    step.kind = RedactionPath::Step::Kind::Wildcard;
    ++pos;
  } else if (pos < t.size() && (t[pos] == '\'' || t[pos] == '"')) {
    char quote = t[pos++];
    std::string name;
    while (pos < t.size() && t[pos] != quote) {
      if (t[pos] == '\\' && pos + 1 < t.size()) ++pos;
      name += t[pos++];
    }
    if (pos >= t.size()) {
      error = "unterminated quoted name starting" + at(open + 1);
      return false;
    }
    ++pos;  // closing quote
    step.kind = RedactionPath::Step::Kind::Member;
    step.name = std::move(name);
  } else if (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
    std::size_t start = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    if (pos - start > 9) {
      error = "array index too large" + at(start);
      return false;
    }
    step.kind = RedactionPath::Step::Kind::Index;
    step.index = std::stoul(std::string(t.substr(start, pos - start)));
  } else {
    error = "expected '*', an index or a quoted name after '['" + at(open) +
            " (filters, slices, unions and negative indexes are not supported)";
    return false;
  }
  if (pos >= t.size() || t[pos] != ']') {
    error = "expected ']'" + at(pos);
    return false;
  }
  ++pos;
  return true;
}

}  // namespace

std::optional<RedactionPath> RedactionPath::parse(std::string_view t, std::string& error) {
  if (t.empty() || t[0] != '$') {
    error = "a path starts with '$', e.g. $.data.password or $..token";
    return std::nullopt;
  }
  RedactionPath p;
  p.text_ = std::string(t);
  std::size_t pos = 1;
  while (pos < t.size()) {
    Step step;
    if (t[pos] == '.' && pos + 1 < t.size() && t[pos + 1] == '.') {
      pos += 2;
      p.steps_.push_back(Step{Step::Kind::Descend, {}, 0});
      bool ok = pos < t.size() && t[pos] == '[' ? read_bracket(t, pos, step, error) : read_dot_selector(t, pos, step, error);
      if (!ok) return std::nullopt;
    } else if (t[pos] == '.') {
      ++pos;
      if (!read_dot_selector(t, pos, step, error)) return std::nullopt;
    } else if (t[pos] == '[') {
      if (!read_bracket(t, pos, step, error)) return std::nullopt;
    } else {
      error = "unexpected '" + std::string(1, t[pos]) + "'" + at(pos) + "; expected '.', '..' or '['";
      return std::nullopt;
    }
    p.steps_.push_back(std::move(step));
  }
  if (p.steps_.empty()) {
    error = "\"$\" alone would hide the whole result; name the fields to redact, e.g. $.data.password";
    return std::nullopt;
  }
  return p;
}

std::size_t RedactionPath::apply(json::value& root) const { return apply_from(root, 0); }

std::size_t RedactionPath::apply_from(json::value& v, std::size_t i) const {
  if (i == steps_.size()) {
    v = json::string(kRedactedMark);
    return 1;
  }
  const Step& s = steps_[i];
  std::size_t n = 0;
  switch (s.kind) {
    case Step::Kind::Member:
      if (auto* o = v.if_object())
        if (auto* child = o->if_contains(s.name)) n += apply_from(*child, i + 1);
      break;
    case Step::Kind::Index:
      if (auto* a = v.if_array(); a && s.index < a->size()) n += apply_from((*a)[s.index], i + 1);
      break;
    case Step::Kind::Wildcard:
      if (auto* o = v.if_object())
        for (auto& kv : *o) n += apply_from(kv.value(), i + 1);
      else if (auto* a = v.if_array())
        for (auto& e : *a) n += apply_from(e, i + 1);
      break;
    case Step::Kind::Descend:
      // The selector after '..' applies here and at every depth below. Here first: what it
      // replaces becomes a string, so the walk below never enters a redacted value.
      n += apply_from(v, i + 1);
      if (auto* o = v.if_object())
        for (auto& kv : *o) n += apply_from(kv.value(), i);
      else if (auto* a = v.if_array())
        for (auto& e : *a) n += apply_from(e, i);
      break;
  }
  return n;
}

}  // namespace toolgate
