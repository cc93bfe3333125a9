#include "util/canonical_json.hpp"

#include <algorithm>
#include <vector>

namespace toolgate {

namespace json = boost::json;

namespace {
void write(const json::value& v, std::string& out) {
  if (v.is_object()) {
    const json::object& o = v.get_object();
    std::vector<const json::key_value_pair*> items;
    for (const auto& kv : o) items.push_back(&kv);
    std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      out += json::serialize(json::value(items[i]->key()));
      out.push_back(':');
      write(items[i]->value(), out);
    }
    out.push_back('}');
  } else if (v.is_array()) {
    out.push_back('[');
    const json::array& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i) out.push_back(',');
      write(a[i], out);
    }
    out.push_back(']');
  } else {
    out += json::serialize(v);
  }
}
}  // namespace

std::string canonical_json(const json::value& v) {
  std::string out;
  write(v, out);
  return out;
}

}  // namespace toolgate
