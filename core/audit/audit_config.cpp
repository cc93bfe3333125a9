#include "audit/audit_config.hpp"

#include "audit/chain.hpp"
#include "audit/redactor.hpp"

#include <arpa/inet.h>
#include <syslog.h>

#include <filesystem>

namespace toolgate {

namespace json = boost::json;

namespace {

std::string resolve(const std::string& base_dir, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_absolute() || base_dir.empty()) return path.lexically_normal().string();
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

struct Facility {
  const char* name;
  int value;
};
constexpr Facility kFacilities[] = {
    {"user", LOG_USER},     {"daemon", LOG_DAEMON}, {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

void check_patterns(JsonObjectReader& r, const std::string& key, const std::vector<std::string>& patterns) {
  for (std::size_t i = 0; i < patterns.size(); ++i)
    if (auto err = Redactor::pattern_error(patterns[i]))
      r.errors().add(r.child_path(key) + "[" + std::to_string(i) + "]", "invalid regular expression: " + *err);
}

void parse_redact(JsonObjectReader& r, AuditConfig& c) {
  c.redact_keys = default_redact_keys();
  c.redact_patterns = default_redact_patterns();
  if (auto keys = r.string_array("keys")) c.redact_keys = *keys;
  if (auto pats = r.string_array("patterns")) {
    check_patterns(r, "patterns", *pats);
    c.redact_patterns = *pats;
  }
  if (auto keys = r.string_array("extraKeys")) c.redact_keys.insert(c.redact_keys.end(), keys->begin(), keys->end());
  if (auto pats = r.string_array("extraPatterns")) {
    check_patterns(r, "extraPatterns", *pats);
    c.redact_patterns.insert(c.redact_patterns.end(), pats->begin(), pats->end());
  }
  r.finish();
}

std::optional<AuditTapConfig> parse_tap(JsonObjectReader& t) {
  AuditTapConfig tap;
  tap.queue_size = static_cast<std::size_t>(t.integer_or("queueSize", 10000, 1, 1000000));
  auto type = t.string("type", true);
  if (!type) {
    t.accept("address");
    t.accept("facility");
    return std::nullopt;
  }
  if (*type == "syslog") {
    tap.type = AuditTapConfig::Type::syslog;
    tap.facility_name = t.string_or("facility", "local0");
    tap.facility = -1;
    for (const auto& f : kFacilities)
      if (tap.facility_name == f.name) tap.facility = f.value;
    if (tap.facility < 0) {
      t.errors().add(t.child_path("facility"), "expected one of user, daemon, auth, authpriv, local0..local7");
      return std::nullopt;
    }
    if (t.has("address")) {
      t.accept("address");
      t.errors().add(t.child_path("address"), "only udp and tcp taps take an address");
    }
  } else if (*type == "udp" || *type == "tcp") {
    tap.type = *type == "udp" ? AuditTapConfig::Type::udp : AuditTapConfig::Type::tcp;
    auto addr = t.string("address", true);
    if (!addr) return std::nullopt;
    auto hp = parse_tap_address(*addr);
    if (!hp) {
      t.errors().add(t.child_path("address"),
                     "expected HOST:PORT with a numeric IP address, e.g. 127.0.0.1:5140 or [::1]:5140");
      return std::nullopt;
    }
    tap.host = hp->first;
    tap.port = hp->second;
    if (t.has("facility")) {
      t.accept("facility");
      t.errors().add(t.child_path("facility"), "only syslog taps take a facility");
    }
  } else {
    t.errors().add(t.child_path("type"), "expected \"syslog\", \"udp\" or \"tcp\"");
    t.accept("address");
    t.accept("facility");
    return std::nullopt;
  }
  return tap;
}

}  // namespace

std::string AuditTapConfig::describe() const {
  switch (type) {
    case Type::syslog:
      return "syslog " + facility_name;
    case Type::udp:
    case Type::tcp: {
      std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
      return std::string(type == Type::udp ? "udp " : "tcp ") + h + ":" + std::to_string(port);
    }
  }
  return "?";
}

std::optional<std::pair<std::string, std::uint16_t>> parse_tap_address(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1)
    return std::nullopt;
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  unsigned long n = std::stoul(port);
  if (n == 0 || n > 65535) return std::nullopt;
  return std::make_pair(host, static_cast<std::uint16_t>(n));
}

AuditConfig default_audit_config(const std::string& base_dir) {
  AuditConfig c;
  c.directory = resolve(base_dir, "./audit");
  c.redact_keys = default_redact_keys();
  c.redact_patterns = default_redact_patterns();
  return c;
}

AuditConfig parse_audit_config(JsonObjectReader& r, const std::string& base_dir) {
  AuditConfig c = default_audit_config(base_dir);
  if (!r.present()) return c;
  c.enabled = r.boolean_or("enabled", true);
  if (auto dir = r.string("directory")) {
    if (dir->empty())
      r.errors().add(r.child_path("directory"), "expected a non-empty path");
    else
      c.directory = resolve(base_dir, *dir);
  }
  c.max_file_bytes = static_cast<std::uint64_t>(r.integer_or("maxFileBytes", 10ll * 1024 * 1024, 4096, INT64_MAX));
  c.max_files = static_cast<std::size_t>(r.integer_or("maxFiles", 10, 1, 1000));
  if (auto key_file = r.string("hmacKeyFile")) {
    c.hmac_key_file = resolve(base_dir, *key_file);
    std::string error;
    c.hmac_key = load_hmac_key(*c.hmac_key_file, error);
    if (!c.hmac_key) r.errors().add(r.child_path("hmacKeyFile"), error);
  }
  c.fsync = r.boolean_or("fsync", false);
  c.max_input_bytes = static_cast<std::size_t>(r.integer_or("maxInputBytes", 64 * 1024, 256, INT32_MAX));
  if (auto mode = r.string("failMode")) {
    if (*mode == "closed")
      c.fail_mode = AuditConfig::FailMode::closed;
    else if (*mode == "open")
      c.fail_mode = AuditConfig::FailMode::open;
    else
      r.errors().add(r.child_path("failMode"), "expected \"closed\" or \"open\"");
  }
  JsonObjectReader redact = r.object("redact");
  parse_redact(redact, c);
  if (const json::array* taps = r.array("taps")) {
    for (std::size_t i = 0; i < taps->size(); ++i) {
      std::string path = r.child_path("taps") + "[" + std::to_string(i) + "]";
      if (!(*taps)[i].is_object()) {
        r.errors().add(path, "expected an object");
        continue;
      }
      JsonObjectReader t(&(*taps)[i].get_object(), path, r.errors());
      if (auto tap = parse_tap(t)) c.taps.push_back(*tap);
      t.finish();
    }
  }
  r.finish();
  return c;
}

}  // namespace toolgate
