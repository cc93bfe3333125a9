// dns plugin: dns_a_record and dns_lookup, answered through libresolv (see resolver.hpp).
// Read-only and side-effect free; the nameserver, timeout and attempts come from the manifest's
// config so an operator (or a test) can point lookups at a resolver of their choosing.
#include <toolgate/plugin.hpp>

#include <boost/json.hpp>

#include "resolver.hpp"

namespace json = boost::json;
using toolgate::dns::Answer;
using toolgate::dns::ResolverOptions;

namespace {

// Fixed once by init, before any call; read-only afterwards, so calls share it without locks.
ResolverOptions g_options;

int bounded_int(const json::value& v, const char* key, int lo, int hi) {
  if (!v.is_int64() || v.as_int64() < lo || v.as_int64() > hi)
    throw std::invalid_argument(std::string("dns config: \"") + key + "\" must be an integer from " +
                                std::to_string(lo) + " to " + std::to_string(hi));
  return static_cast<int>(v.as_int64());
}

void configure(std::string_view config_json) {
  ResolverOptions o;
  json::value cfg = config_json.empty() ? json::value(json::object()) : json::parse(config_json);
  if (!cfg.is_object()) throw std::invalid_argument("dns config: expected a JSON object");
  for (const auto& [key, value] : cfg.as_object()) {
    if (key == "nameserver") {
      if (!value.is_string()) throw std::invalid_argument("dns config: \"nameserver\" must be a string");
      toolgate::dns::parse_nameserver(std::string(value.as_string()), o);
    } else if (key == "timeoutSeconds") {
      o.timeout_seconds = bounded_int(value, "timeoutSeconds", 1, 30);
    } else if (key == "attempts") {
      o.attempts = bounded_int(value, "attempts", 1, 5);
    } else {
      throw std::invalid_argument("dns config: unknown key \"" + std::string(key) +
                                  "\" (expected nameserver, timeoutSeconds, attempts)");
    }
  }
  g_options = o;
}

toolgate::Result render(const Answer& a) {
  json::array records;
  std::string text = a.name + " " + a.type + ":";
  for (const auto& r : a.records) {
    json::object rec{{"value", r.value}, {"ttl", r.ttl}};
    if (r.priority) rec["priority"] = *r.priority;
    records.push_back(std::move(rec));
    text += "\n  ";
    if (r.priority) text += std::to_string(*r.priority) + " ";
    text += r.value + "  (ttl " + std::to_string(r.ttl) + "s)";
  }
  json::object out{{"name", a.name}, {"type", a.type}, {"records", std::move(records)}};
  if (!a.canonical_name.empty()) {
    out["canonicalName"] = a.canonical_name;
    text += "\n  via alias " + a.canonical_name;
  }
  return toolgate::Result::text(text).set_structured(json::serialize(out));
}

toolgate::Result lookup(const std::string& hostname, const std::string& type) {
  try {
    return render(toolgate::dns::resolve(g_options, hostname, type));
  } catch (const toolgate::dns::ResolveError& e) {
    return toolgate::Result::error(e.what());
  } catch (const std::invalid_argument& e) {
    return toolgate::Result::error(e.what());
  }
}

// The host has validated arguments against the manifest's inputSchema before we run.
toolgate::Result dns_a_record(toolgate::Call&, std::string_view args) {
  json::value v = json::parse(args);
  return lookup(std::string(v.at("hostname").as_string()), "A");
}

toolgate::Result dns_lookup(toolgate::Call&, std::string_view args) {
  json::value v = json::parse(args);
  const json::object& o = v.as_object();
  std::string type = "A";
  if (const json::value* t = o.if_contains("type")) type = std::string(t->as_string());
  return lookup(std::string(o.at("hostname").as_string()), type);
}

}  // namespace

TOOLGATE_PLUGIN("dns", "1.0.0") {
  plugin.on_init([](const tg_host_api*, std::string_view config) { configure(config); });
  plugin.tool("dns_a_record", dns_a_record);
  plugin.tool("dns_lookup", dns_lookup);
}
