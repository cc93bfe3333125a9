// The `keys` CLI: create prints the key once and stores only its hash; list shows no secrets;
// revoke disables a key so the next authentication fails; usage errors are clear.
#include "identity/api_keys.hpp"
#include "identity/authenticator.hpp"
#include "identity/keys_command.hpp"
#include "identity/keys_file.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace toolgate {
namespace {

using namespace std::chrono;
using test::t0;

struct CliRun {
  int code;
  std::string out, err;
};

class KeysCommandTest : public ::testing::Test {
 protected:
  CliRun run(std::vector<std::string> args, SysTime now = t0()) {
    std::ostringstream out, err;
    int code = run_keys_command_at(args, out, err, std::nullopt, now);
    return {code, out.str(), err.str()};
  }
  std::string create_key(const std::string& subject, const std::string& extra = "") {
    std::vector<std::string> args = {"create", "--keys-file", path_, "--subject", subject, "--tenant", "acme",
                                     "--scopes", "dns.read,dns.write"};
    if (!extra.empty()) args.insert(args.end(), {"--expires", extra});
    CliRun r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  IdentityConfig config() const {
    IdentityConfig c;
    c.keys_file = path_;
    return c;
  }

  test::TempDir dir_;
  std::string path_ = dir_.file("keys.json");
};

TEST_F(KeysCommandTest, CreatePrintsKeyOnceAndStoresOnlyItsHash) {
  CliRun r = run({"create", "--keys-file", path_, "--subject", "alice", "--tenant", "acme", "--scopes", "dns.read,dns.write",
               "--expires", "2028-01-01"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string key = r.out.substr(0, r.out.find('\n'));
  auto parsed = parse_api_key(key);
  ASSERT_TRUE(parsed) << r.out;
  EXPECT_NE(r.out.find("This is the only time the key is shown"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Key id " + parsed->id + ": subject alice, tenant acme, scopes dns.read,dns.write, expires "
                       "2028-01-01T00:00:00Z"),
            std::string::npos)
      << r.out;
  std::string stored = test::read_all(path_);
  EXPECT_EQ(stored.find(parsed->secret), std::string::npos);
  EXPECT_NE(stored.find(hash_api_key_secret(parsed->secret)), std::string::npos);

  AuthResult a = Authenticator(config(), key).authenticate(t0());
  ASSERT_TRUE(a.ok) << a.reason;
  EXPECT_EQ(a.principal.scopes, (std::vector<std::string>{"dns.read", "dns.write"}));
}

TEST_F(KeysCommandTest, ListShowsKeysWithoutSecretsOrHashes) {
  std::string k1 = create_key("alice");
  std::string k2 = create_key("bob", "2027-01-15T08:30:00Z");
  CliRun r = run({"list", "--keys-file=" + path_});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string id1 = parse_api_key(k1)->id, id2 = parse_api_key(k2)->id;
  EXPECT_NE(r.out.find("ID"), std::string::npos);
  EXPECT_NE(r.out.find(id1), std::string::npos);
  EXPECT_NE(r.out.find(id2), std::string::npos);
  EXPECT_NE(r.out.find("2027-01-15T08:30:00Z"), std::string::npos);
  EXPECT_NE(r.out.find("dns.read,dns.write"), std::string::npos);
  EXPECT_EQ(r.out.find(parse_api_key(k1)->secret), std::string::npos);
  EXPECT_EQ(r.out.find("sha256:"), std::string::npos);
  EXPECT_EQ(r.out.find("revoked"), std::string::npos);
  // An hour later bob's key shows as expired.
  CliRun later = run({"list", "--keys-file", path_}, t0() + hours(1));
  std::string bob_line = later.out.substr(later.out.find(id2));
  bob_line = bob_line.substr(0, bob_line.find('\n'));
  EXPECT_NE(bob_line.find("expired"), std::string::npos) << later.out;
}

TEST_F(KeysCommandTest, RevokeThenAuthenticateFails) {
  std::string key = create_key("alice");
  std::string id = parse_api_key(key)->id;
  Authenticator a(config(), key);
  ASSERT_TRUE(a.authenticate(t0()).ok);
  CliRun r = run({"revoke", "--keys-file", path_, id});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Revoked key " + id), std::string::npos) << r.out;
  EXPECT_EQ(a.authenticate(t0()).reason, "API key " + id + " has been revoked");
  CliRun list = run({"list", "--keys-file", path_});
  EXPECT_NE(list.out.find("revoked"), std::string::npos) << list.out;
  EXPECT_EQ(run({"revoke", "--keys-file", path_, id}).out, "Key " + id + " was already revoked.\n");
}

TEST_F(KeysCommandTest, CreateRefusesControlCharactersInNames) {
  CliRun r = run({"create", "--keys-file", path_, "--subject", "eve\nforged", "--tenant", "acme", "--scopes", "x"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--subject contains a control character (byte 10)"), std::string::npos) << r.err;
  r = run({"create", "--keys-file", path_, "--subject", "eve", "--tenant", std::string("acme\x01"), "--scopes", "x"});
  EXPECT_NE(r.err.find("--tenant contains a control character (byte 1)"), std::string::npos) << r.err;
}

TEST_F(KeysCommandTest, RevokeUnknownIdFails) {
  create_key("alice");
  CliRun r = run({"revoke", "--keys-file", path_, "ffffffffffff"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "toolgate keys: no key with id ffffffffffff in " + path_ + "\n");
}

TEST_F(KeysCommandTest, DefaultKeysFileFromPolicyAndLeadingKeysWord) {
  std::ostringstream out, err;
  int code = run_keys_command({"keys", "create", "--subject", "a", "--tenant", "t", "--scopes", "x"}, out, err, path_);
  EXPECT_EQ(code, 0) << err.str();
  EXPECT_TRUE(std::filesystem::exists(path_));
}

TEST_F(KeysCommandTest, UsageErrors) {
  auto first_line = [](const CliRun& r) { return r.err.substr(0, r.err.find('\n')); };
  CliRun r = run({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(first_line(r), "toolgate keys: missing subcommand (create, list or revoke)");
  EXPECT_NE(r.err.find("usage:"), std::string::npos);
  EXPECT_EQ(first_line(run({"delete"})), "toolgate keys: unknown subcommand delete");
  EXPECT_EQ(first_line(run({"list"})),
            "toolgate keys: --keys-file is required (or identity.keysFile in the policy given with --config)");
  EXPECT_EQ(first_line(run({"create", "--keys-file", path_, "--tenant", "t", "--scopes", "a"})),
            "toolgate keys: create needs --subject");
  EXPECT_EQ(first_line(run({"create", "--keys-file", path_, "--subject", "s", "--tenant", "t", "--scopes", "a,,b"})),
            "toolgate keys: --scopes must be a comma-separated list of non-empty scopes, e.g. dns.read,dns.write");
  EXPECT_EQ(first_line(run({"create", "--keys-file", path_, "--subject", "s", "--tenant", "t", "--scopes", "a",
                            "--expires", "soon"})),
            "toolgate keys: --expires must be a date (2027-01-01) or an RFC 3339 time (2027-01-01T12:00:00Z)");
  EXPECT_EQ(first_line(run({"create", "--keys-file", path_, "--subject", "s", "--tenant", "t", "--scopes", "a",
                            "--expires", "2020-01-01"})),
            "toolgate keys: --expires 2020-01-01 is not in the future");
  EXPECT_EQ(first_line(run({"list", "--keys-file", path_, "--subject", "s"})), "toolgate keys: unknown option --subject");
  EXPECT_EQ(first_line(run({"list", "--keys-file"})), "toolgate keys: --keys-file needs a value");
  EXPECT_EQ(first_line(run({"revoke", "--keys-file", path_})), "toolgate keys: revoke needs exactly one key ID");
  EXPECT_EQ(run({"list", "--keys-file", path_, "--keys-file", path_}).code, 2);
  EXPECT_FALSE(std::filesystem::exists(path_));  // nothing was written by failed commands
  EXPECT_EQ(run({"--help"}).code, 0);
}

TEST_F(KeysCommandTest, CorruptKeysFileIsNeverOverwritten) {
  test::write_file(path_, "{\"version\": 1, \"keys\": [");
  CliRun r = run({"create", "--keys-file", path_, "--subject", "s", "--tenant", "t", "--scopes", "a"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind("toolgate keys: keys file " + path_ + ": $: invalid JSON", 0), 0u) << r.err;
  EXPECT_EQ(test::read_all(path_), "{\"version\": 1, \"keys\": [");
  CliRun l = run({"list", "--keys-file", path_});
  EXPECT_EQ(l.code, 1);
}

}  // namespace
}  // namespace toolgate
