#include "audit/audit_config.hpp"
#include "audit/redactor.hpp"
#include "test_helpers.hpp"

#include <gtest/gtest.h>
#include <syslog.h>

namespace toolgate {
namespace {

namespace json = boost::json;
using test::TempDir;

struct Parsed {
  AuditConfig config;
  std::vector<std::string> errors;
};

Parsed parse(const std::string& text, const std::string& base = "/etc/toolgate") {
  json::value doc = json::parse(text);
  JsonErrors errors;
  JsonObjectReader root(&doc.get_object(), "$", errors);
  JsonObjectReader audit = root.object("audit");
  Parsed p{parse_audit_config(audit, base), {}};
  p.errors = errors.items();
  return p;
}

bool has_error(const Parsed& p, const std::string& text) {
  for (const auto& e : p.errors)
    if (e == text) return true;
  return false;
}

std::string dump(const Parsed& p) {
  std::string s;
  for (const auto& e : p.errors) s += e + "\n";
  return s;
}

TEST(AuditConfig, DefaultsWhenSectionAbsent) {
  Parsed p = parse("{}");
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  EXPECT_TRUE(p.config.enabled);
  EXPECT_EQ(p.config.directory, "/etc/toolgate/audit");
  EXPECT_EQ(p.config.max_file_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(p.config.max_files, 10u);
  EXPECT_FALSE(p.config.hmac_key);
  EXPECT_FALSE(p.config.fsync);
  EXPECT_EQ(p.config.fail_mode, AuditConfig::FailMode::closed);
  EXPECT_EQ(p.config.redact_keys, default_redact_keys());
  EXPECT_EQ(p.config.redact_patterns, default_redact_patterns());
  EXPECT_TRUE(p.config.taps.empty());
}

TEST(AuditConfig, ReadsEveryField) {
  TempDir dir;
  test::write_text(dir.sub("audit.key"), "0123456789abcdef0123456789abcdef\n");
  Parsed p = parse(R"({"audit": {"enabled": false, "directory": "logs/audit", "maxFileBytes": 4096,
      "maxFiles": 3, "hmacKeyFile": "audit.key", "fsync": true, "failMode": "open",
      "redact": {"keys": ["pin"], "extraKeys": ["ssn"], "patterns": ["x{3}"], "extraPatterns": ["y+"]},
      "taps": [{"type": "syslog", "facility": "authpriv"}, {"type": "udp", "address": "127.0.0.1:5140"},
               {"type": "tcp", "address": "[::1]:6000", "queueSize": 5}, {"type": "udp", "address": "localhost:9"}]}})",
                   dir.path());
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  const AuditConfig& c = p.config;
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.directory, dir.path() + "/logs/audit");
  EXPECT_EQ(c.max_file_bytes, 4096u);
  EXPECT_EQ(c.max_files, 3u);
  EXPECT_EQ(c.hmac_key_file, dir.sub("audit.key"));
  EXPECT_EQ(c.hmac_key, "0123456789abcdef0123456789abcdef");  // trailing newline dropped
  EXPECT_TRUE(c.fsync);
  EXPECT_EQ(c.fail_mode, AuditConfig::FailMode::open);
  EXPECT_EQ(c.redact_keys, (std::vector<std::string>{"pin", "ssn"}));
  EXPECT_EQ(c.redact_patterns, (std::vector<std::string>{"x{3}", "y+"}));
  ASSERT_EQ(c.taps.size(), 4u);
  EXPECT_EQ(c.taps[0].type, AuditTapConfig::Type::syslog);
  EXPECT_EQ(c.taps[0].facility, LOG_AUTHPRIV);
  EXPECT_EQ(c.taps[1].describe(), "udp 127.0.0.1:5140");
  EXPECT_EQ(c.taps[2].describe(), "tcp [::1]:6000");
  EXPECT_EQ(c.taps[2].queue_size, 5u);
  EXPECT_EQ(c.taps[3].host, "127.0.0.1");
}

TEST(AuditConfig, ExtraKeysExtendDefaults) {
  Parsed p = parse(R"({"audit": {"redact": {"extraKeys": ["ssn"]}}})");
  ASSERT_TRUE(p.errors.empty()) << dump(p);
  EXPECT_EQ(p.config.redact_keys.size(), default_redact_keys().size() + 1);
  EXPECT_EQ(p.config.redact_keys.back(), "ssn");
}

TEST(AuditConfig, MaxFilesOutOfRange) {
  Parsed p = parse(R"({"audit": {"maxFiles": 0}})");
  EXPECT_TRUE(has_error(p, "$.audit.maxFiles: expected an integer from 1 to 1000, got 0")) << dump(p);
  p = parse(R"({"audit": {"maxFiles": "ten"}})");
  EXPECT_TRUE(has_error(p, "$.audit.maxFiles: expected an integer from 1 to 1000")) << dump(p);
}

TEST(AuditConfig, MaxFileBytesTooSmall) {
  Parsed p = parse(R"({"audit": {"maxFileBytes": 100}})");
  EXPECT_TRUE(has_error(p, "$.audit.maxFileBytes: expected an integer >= 4096, got 100")) << dump(p);
}

TEST(AuditConfig, BadFailModeAndTypes) {
  Parsed p = parse(R"({"audit": {"failMode": "maybe", "fsync": "yes", "enabled": 1, "directory": ""}})");
  EXPECT_TRUE(has_error(p, "$.audit.failMode: expected \"closed\" or \"open\"")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.fsync: expected true or false")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.enabled: expected true or false")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.directory: expected a non-empty path")) << dump(p);
}

TEST(AuditConfig, UnknownFieldsRejectedAtEveryLevel) {
  Parsed p = parse(R"({"audit": {"maxfiles": 3, "redact": {"key": []}, "taps": [{"type": "udp",
      "address": "127.0.0.1:1", "port": 1}]}})");
  EXPECT_TRUE(has_error(p, "$.audit.maxfiles: unknown field")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.redact.key: unknown field")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.taps[0].port: unknown field")) << dump(p);
}

TEST(AuditConfig, HmacKeyFileUnreadable) {
  Parsed p = parse(R"({"audit": {"hmacKeyFile": "/nonexistent/audit.key"}})");
  EXPECT_TRUE(has_error(p, "$.audit.hmacKeyFile: cannot read HMAC key file /nonexistent/audit.key: No such file or "
                           "directory"))
      << dump(p);
}

TEST(AuditConfig, HmacKeyTooShort) {
  TempDir dir;
  test::write_text(dir.sub("k"), "short\n");
  Parsed p = parse(R"({"audit": {"hmacKeyFile": "k"}})", dir.path());
  EXPECT_TRUE(has_error(p, "$.audit.hmacKeyFile: HMAC key file " + dir.sub("k") +
                               " holds 5 bytes; at least 16 are required"))
      << dump(p);
}

TEST(AuditConfig, InvalidRedactionPattern) {
  Parsed p = parse(R"({"audit": {"redact": {"patterns": ["ok", "(unclosed"]}}})");
  ASSERT_EQ(p.errors.size(), 1u) << dump(p);
  EXPECT_EQ(p.errors[0].rfind("$.audit.redact.patterns[1]: invalid regular expression: ", 0), 0u) << dump(p);
}

TEST(AuditConfig, TapErrors) {
  Parsed p = parse(R"({"audit": {"taps": [{"type": "kafka"}, {"type": "udp"}, {"type": "tcp", "address": "example.com:1"},
      {"type": "udp", "address": "127.0.0.1:0"}, {"type": "syslog", "facility": "local9"},
      {"type": "syslog", "address": "127.0.0.1:1"}, {"type": "udp", "address": "127.0.0.1:5", "facility": "user"}, 7]}})");
  EXPECT_TRUE(has_error(p, "$.audit.taps[0].type: expected \"syslog\", \"udp\" or \"tcp\"")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.taps[1].address: is required")) << dump(p);
  const std::string addr = "expected HOST:PORT with a numeric IP address, e.g. 127.0.0.1:5140 or [::1]:5140";
  EXPECT_TRUE(has_error(p, "$.audit.taps[2].address: " + addr)) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.taps[3].address: " + addr)) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.taps[4].facility: expected one of user, daemon, auth, authpriv, local0..local7"))
      << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.taps[5].address: only udp and tcp taps take an address")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.taps[6].facility: only syslog taps take a facility")) << dump(p);
  EXPECT_TRUE(has_error(p, "$.audit.taps[7]: expected an object")) << dump(p);
  EXPECT_EQ(p.errors.size(), 8u) << dump(p);
}

TEST(AuditConfig, TapAddressParsing) {
  EXPECT_EQ(parse_tap_address("127.0.0.1:5140"), std::make_pair(std::string("127.0.0.1"), std::uint16_t{5140}));
  EXPECT_EQ(parse_tap_address("[::1]:80"), std::make_pair(std::string("::1"), std::uint16_t{80}));
  EXPECT_FALSE(parse_tap_address("::1:80"));
  EXPECT_FALSE(parse_tap_address("127.0.0.1"));
  EXPECT_FALSE(parse_tap_address("127.0.0.1:65536"));
  EXPECT_FALSE(parse_tap_address("127.0.0.1:-1"));
  EXPECT_FALSE(parse_tap_address("host.example:1"));
}

}  // namespace
}  // namespace toolgate
