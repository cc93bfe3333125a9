// The policy's plugin trust fields (core/app/config.cpp, `plugins` section) and their wiring into
// registry options (core/app/plugin_command.hpp).
#include "app/config.hpp"
#include "app/plugin_command.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace toolgate {
namespace {

using namespace trust_test;
using Items = std::vector<std::string>;

const char* kPolicy = "/etc/toolgate/policy.json";

Config parse_ok(const std::string& text, const std::string& file = kPolicy) {
  JsonErrors errors;
  auto c = parse_config(text, file, errors);
  if (!c) throw std::runtime_error(errors.joined());
  return *c;
}

Items errors_of(const std::string& text) {
  JsonErrors errors;
  EXPECT_FALSE(parse_config(text, kPolicy, errors));
  return errors.items();
}

TEST(PluginTrustConfig, DefaultsKeepUnsignedPluginsLoadingAndPinBesideThePolicy) {
  Config c = parse_ok("{}");
  EXPECT_FALSE(c.plugin_trust.require_signed);
  EXPECT_TRUE(c.plugin_trust.trusted_publishers.empty());
  EXPECT_EQ(c.plugin_trust.pins_file, "/etc/toolgate/plugin-pins.json");
  EXPECT_TRUE(c.plugin_trust.refuse_definition_changes);
}

TEST(PluginTrustConfig, WithoutAPolicyFilePinsGoToTheStateDirectory) {
  ::setenv("STATE_DIRECTORY", "/var/lib/toolgate", 1);
  EXPECT_EQ(parse_ok("{}", "").plugin_trust.pins_file, "/var/lib/toolgate/plugin-pins.json");
  ::unsetenv("STATE_DIRECTORY");
  ::setenv("XDG_STATE_HOME", "/home/u/.state", 1);
  EXPECT_EQ(parse_ok("{}", "").plugin_trust.pins_file, "/home/u/.state/toolgate/plugin-pins.json");
  ::unsetenv("XDG_STATE_HOME");
}

TEST(PluginTrustConfig, AllFields) {
  Config c = parse_ok(R"({"plugins": {"requireSigned": true,
      "trustedPublishers": ["keys/acme.pub", {"name": "corp", "file": "/k/corp.pub"},
                            {"name": "inline", "key": "OzF13k3hK7+vCp9vuCaWmpJqfYuUsMpPDWY+Km8iXN4="}],
      "pinsFile": "state/pins.json", "onDefinitionChange": "warn"}})");
  EXPECT_TRUE(c.plugin_trust.require_signed);
  ASSERT_EQ(c.plugin_trust.trusted_publishers.size(), 3u);
  EXPECT_EQ(c.plugin_trust.trusted_publishers[0].name, "acme");
  EXPECT_EQ(c.plugin_trust.trusted_publishers[0].file, "/etc/toolgate/keys/acme.pub");
  EXPECT_EQ(c.plugin_trust.trusted_publishers[1].name, "corp");
  EXPECT_EQ(c.plugin_trust.trusted_publishers[1].file, "/k/corp.pub");
  EXPECT_EQ(c.plugin_trust.trusted_publishers[2].key_base64, "OzF13k3hK7+vCp9vuCaWmpJqfYuUsMpPDWY+Km8iXN4=");
  EXPECT_EQ(c.plugin_trust.trusted_publishers[2].file, "");
  EXPECT_EQ(c.plugin_trust.pins_file, "/etc/toolgate/state/pins.json");
  EXPECT_FALSE(c.plugin_trust.refuse_definition_changes);
  EXPECT_EQ(parse_ok(R"({"plugins": {"pinsFile": false}})").plugin_trust.pins_file, "");
}

TEST(PluginTrustConfig, ErrorsNameTheirPaths) {
  EXPECT_EQ(errors_of(R"({"plugins": {"requireSigned": "yes"}})"), Items{"$.plugins.requireSigned: expected true or false"});
  EXPECT_EQ(errors_of(R"({"plugins": {"trustedPublishers": [1, ""]}})"),
            (Items{"$.plugins.trustedPublishers[0]: expected a public key file or {\"name\": ..., \"key\": <base64>} / "
                   "{\"name\": ..., \"file\": ...}",
                   "$.plugins.trustedPublishers[1]: expected a public key file or {\"name\": ..., \"key\": <base64>} / "
                   "{\"name\": ..., \"file\": ...}"}));
  EXPECT_EQ(errors_of(R"({"plugins": {"trustedPublishers": [{"name": "a", "key": "c2hvcnQ="}]}})"),
            Items{"$.plugins.trustedPublishers[0].key: expected the base64 of a 32-byte Ed25519 public key (as "
                  "`toolgate plugin keygen` prints it)"});
  EXPECT_EQ(errors_of(R"({"plugins": {"trustedPublishers": [{"name": "a"}]}})"),
            Items{"$.plugins.trustedPublishers[0]: expected exactly one of \"file\" (a public key file) or \"key\" (a "
                  "base64 public key)"});
  EXPECT_EQ(errors_of(R"({"plugins": {"trustedPublishers": [{"key": "x", "file": "y", "extra": 1}]}})"),
            (Items{"$.plugins.trustedPublishers[0].name: is required", "$.plugins.trustedPublishers[0].extra: unknown field",
                   "$.plugins.trustedPublishers[0]: expected exactly one of \"file\" (a public key file) or \"key\" (a "
                   "base64 public key)"}));
  EXPECT_EQ(errors_of(R"({"plugins": {"pinsFile": true}})"),
            Items{"$.plugins.pinsFile: expected a file name, or false to turn pinning off"});
  EXPECT_EQ(errors_of(R"({"plugins": {"onDefinitionChange": "ignore"}})"),
            Items{"$.plugins.onDefinitionChange: expected \"refuse\" or \"warn\""});
}

TEST(PluginTrustConfig, RegistryOptionsReadKeyFilesAndFailClosed) {
  TempDir dir;
  SigningKey k = generate_signing_key();
  write_text(dir.file("acme.pub"), public_key_pem(k.pub));
  write_text(dir.file("policy.json"), R"({"plugins": {"directory": "p", "requireSigned": true,
      "trustedPublishers": ["acme.pub"], "onDefinitionChange": "warn"}})");
  JsonErrors errors;
  auto config = load_config(dir.file("policy.json"), errors);
  ASSERT_TRUE(config) << errors.joined();
  auto o = registry_options(*config, false, errors);
  ASSERT_TRUE(o) << errors.joined();
  EXPECT_EQ(o->plugin_dir, dir.file("p"));
  EXPECT_TRUE(o->trust.require_signed);
  ASSERT_EQ(o->trust.publishers.size(), 1u);
  EXPECT_EQ(o->trust.publishers[0].key_id, k.pub.key_id);
  EXPECT_EQ(o->trust.publishers[0].name, "acme");
  EXPECT_EQ(o->pins.file, dir.file("plugin-pins.json"));
  EXPECT_FALSE(o->pins.refuse_changes);
  EXPECT_FALSE(o->pins.record);

  std::filesystem::remove(dir.file("acme.pub"));
  JsonErrors missing;
  EXPECT_FALSE(registry_options(*config, true, missing));
  EXPECT_EQ(missing.items(), Items{"$.plugins.trustedPublishers[0]: " + dir.file("acme.pub") +
                                   ": cannot read file: No such file or directory"});
}

}  // namespace
}  // namespace toolgate
