#include "ratelimit/limits.hpp"

#include <cfloat>
#include <charconv>
#include <cstdio>

#include <unistd.h>

namespace toolgate {

namespace {

std::optional<double> read_rate(JsonObjectReader& r, const std::string& key) {
  std::optional<double> v = r.number(key, -DBL_MAX, DBL_MAX, true);
  if (v && !(*v > 0)) {
    r.errors().add(r.child_path(key), "expected a number > 0");
    return std::nullopt;
  }
  return v;
}

// Reads an object whose keys are names (tools, tenants) and whose values are limits.
std::map<std::string, RateLimit> read_limit_map(JsonObjectReader& parent, const std::string& key) {
  std::map<std::string, RateLimit> out;
  const boost::json::value* v = parent.raw(key);
  if (!v) return out;
  if (!v->is_object()) {
    parent.errors().add(parent.child_path(key), "expected an object");
    return out;
  }
  JsonObjectReader names(&v->get_object(), parent.child_path(key), parent.errors());
  for (const auto& kv : v->get_object()) {
    std::string name(kv.key());
    if (name.empty()) {
      parent.errors().add(names.child_path(name), "expected a non-empty name");
      names.accept(name);
      continue;
    }
    JsonObjectReader one = names.object(name, true);
    if (!one.present()) continue;
    if (auto limit = read_rate_limit(one)) out.emplace(name, *limit);
  }
  names.finish();
  return out;
}

bool parse_redis_url(const std::string& url, std::string& host, int& port) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find_first_of("/@?#") != std::string::npos) return false;
  std::string::size_type colon = rest.rfind(':');
  if (colon == std::string::npos || (rest.front() == '[' && rest.back() == ']')) {
    host = rest;
    port = 6379;
  } else {
    host = rest.substr(0, colon);
    const std::string p = rest.substr(colon + 1);
    int n = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || n < 1 || n > 65535) return false;
    port = n;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return !host.empty();
}

}  // namespace

std::string default_host_store_path() { return "/dev/shm/toolgate-ratelimit-" + std::to_string(geteuid()); }

std::optional<RateLimit> read_rate_limit(JsonObjectReader& r) {
  std::optional<std::int64_t> burst = r.integer("burst", 1, INT64_MAX, true);
  std::optional<double> rate = read_rate(r, "perSecond");
  r.finish();
  if (!burst || !rate) return std::nullopt;
  return RateLimit{*burst, *rate};
}

RateLimitConfig read_rate_limit_config(JsonObjectReader& r) {
  RateLimitConfig c;
  if (auto store = r.string("store")) {
    c.store = *store;
    if (*store == "memory") {
      c.store_kind = StoreKind::memory;
    } else if (*store == "host") {
      c.store_kind = StoreKind::host;
    } else if (parse_redis_url(*store, c.redis_host, c.redis_port)) {
      c.store_kind = StoreKind::redis;
    } else {
      r.errors().add(r.child_path("store"), "expected \"memory\", \"host\" or \"redis://host:port\", got \"" +
                                                *store + "\"");
    }
  }
  if (auto mode = r.string("onStoreError")) {
    if (*mode == "open") {
      c.fail_open = true;
    } else if (*mode != "closed") {
      r.errors().add(r.child_path("onStoreError"), "expected \"closed\" or \"open\", got \"" + *mode + "\"");
    }
  }
  c.per_tool = read_limit_map(r, "perTool");
  JsonObjectReader per_tenant = r.object("perTenant");
  if (per_tenant.present()) c.per_tenant = read_rate_limit(per_tenant);
  c.tenants = read_limit_map(r, "tenants");
  c.max_in_flight_per_principal = r.integer("maxInFlightPerPrincipal", 1, INT64_MAX);
  c.idle_expiry_seconds = r.integer_or("idleExpirySeconds", c.idle_expiry_seconds, 1, 365LL * 24 * 3600);
  if (auto path = r.string("hostStorePath")) {
    if (path->empty() || path->front() != '/') {
      r.errors().add(r.child_path("hostStorePath"), "expected an absolute path");
    } else {
      c.host_store_path = *path;
    }
  }
  c.host_store_slots = r.integer_or("hostStoreSlots", c.host_store_slots, 64, 1LL << 24);
  c.store_timeout_ms = r.integer_or("storeTimeoutMs", c.store_timeout_ms, 1, 60000);
  r.finish();
  return c;
}

std::optional<RateLimitConfig> parse_rate_limit_config(const boost::json::value& v, JsonErrors& errors,
                                                       const std::string& path) {
  if (!v.is_object()) {
    errors.add(path, "expected an object");
    return std::nullopt;
  }
  const std::size_t before = errors.items().size();
  JsonObjectReader r(&v.get_object(), path, errors);
  RateLimitConfig c = read_rate_limit_config(r);
  if (errors.items().size() != before) return std::nullopt;
  return c;
}

std::string describe(const RateLimit& limit) {
  char rate[64];
  std::snprintf(rate, sizeof rate, "%g", limit.perSecond);
  return "burst " + std::to_string(limit.burst) + ", " + rate + "/s";
}

// Only the settings the store is built from: onStoreError is the limiter's decision, and a
// memory store has no path, slots or timeout.
bool same_store(const RateLimitConfig& a, const RateLimitConfig& b) {
  if (a.store != b.store || a.idle_expiry_seconds != b.idle_expiry_seconds) return false;
  switch (a.store_kind) {
    case StoreKind::memory:
      return true;
    case StoreKind::host:
      return a.host_store_path == b.host_store_path && a.host_store_slots == b.host_store_slots &&
             a.store_timeout_ms == b.store_timeout_ms;
    case StoreKind::redis:
      return a.store_timeout_ms == b.store_timeout_ms;
  }
  return false;
}

}  // namespace toolgate
