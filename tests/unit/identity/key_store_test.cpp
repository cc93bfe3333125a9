// KeyStore: lookup by id, hash comparison, revocation, expiry, and re-reading the keys file when
// it changes (including failing closed on a file corrupted mid-session).
#include "identity/api_keys.hpp"
#include "identity/key_store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <thread>

namespace toolgate {
namespace {

using namespace std::chrono;
using test::t0;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("keys.json");
    key_ = add_key("alice", "acme", {"dns.read"});
  }

  NewApiKey add_key(const std::string& subject, const std::string& tenant, std::vector<std::string> scopes,
                    std::optional<SysTime> expires = std::nullopt) {
    NewApiKey k = generate_api_key();
    ApiKeyRecord rec{k.id, k.hash, subject, tenant, std::move(scopes), t0() - hours(1), expires, false};
    file_.keys.push_back(rec);
    save();
    return k;
  }
  void save() {
    std::string error;
    ASSERT_TRUE(save_keys_file(path_, file_, error)) << error;
  }

  test::TempDir dir_;
  std::string path_;
  KeysFile file_;
  NewApiKey key_;
};

TEST_F(KeyStoreTest, ValidKeyYieldsPrincipal) {
  KeyStore store(path_);
  KeyCheck c = store.check(key_.key, t0());
  ASSERT_TRUE(c.ok) << c.reason;
  EXPECT_EQ(c.principal.subject, "alice");
  EXPECT_EQ(c.principal.tenant, "acme");
  EXPECT_EQ(c.principal.scopes, std::vector<std::string>{"dns.read"});
  EXPECT_EQ(c.principal.credential_kind, "api_key");
  EXPECT_EQ(c.principal.credential_id, key_.id);
}

TEST_F(KeyStoreTest, AFileOthersMayWriteIsNotUsed) {
  // Whoever can write the keys file can give themselves a key: fail closed, say how to fix it,
  // and use the file again as soon as it is made private (a chmod alone is a change).
  KeyStore store(path_);
  ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
  KeyCheck c = store.check(key_.key, t0());
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason, "keys file " + path_ + " is not used: it is writable by every user (mode 0666), so anyone who "
                      "can write it could add a key; run chmod go-w " + path_);
  ASSERT_EQ(::chmod(path_.c_str(), 0620), 0);
  EXPECT_NE(store.check(key_.key, t0()).reason.find("writable by its group (mode 0620)"), std::string::npos);
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  EXPECT_TRUE(store.check(key_.key, t0()).ok);
}

TEST_F(KeyStoreTest, WrongSecretIsRefused) {
  KeyStore store(path_);
  std::string forged = "tgk_" + key_.id + "_" + std::string(64, '0');
  KeyCheck c = store.check(forged, t0());
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason, "invalid API key: the secret does not match key " + key_.id);
  EXPECT_EQ(c.reason.find(std::string(64, '0')), std::string::npos);
}

TEST_F(KeyStoreTest, UnknownIdIsRefused) {
  KeyStore store(path_);
  std::string other = key_.id == "ffffffffffff" ? "eeeeeeeeeeee" : "ffffffffffff";
  KeyCheck c = store.check("tgk_" + other + "_" + std::string(64, 'a'), t0());
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason, "invalid API key: unknown key id " + other);
}

TEST_F(KeyStoreTest, MalformedKeyIsRefused) {
  KeyStore store(path_);
  EXPECT_EQ(store.check("tgk_nothex", t0()).reason, "invalid API key: not of the form tgk_<12 hex id>_<secret>");
}

TEST_F(KeyStoreTest, RevocationTakesEffectOnNextCheck) {
  KeyStore store(path_);
  ASSERT_TRUE(store.check(key_.key, t0()).ok);
  file_.keys[0].disabled = true;
  save();
  KeyCheck c = store.check(key_.key, t0());
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason, "API key " + key_.id + " has been revoked");
}

TEST_F(KeyStoreTest, ExpiryIsCheckedAgainstNow) {
  NewApiKey k = add_key("bob", "acme", {"a"}, t0() + minutes(5));
  KeyStore store(path_);
  EXPECT_TRUE(store.check(k.key, t0()).ok);
  EXPECT_TRUE(store.check(k.key, t0() + minutes(5) - seconds(1)).ok);
  KeyCheck c = store.check(k.key, t0() + minutes(5));
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason, "API key " + k.id + " expired at " + format_rfc3339(t0() + minutes(5)));
}

TEST_F(KeyStoreTest, KeysAddedAfterStartAreSeen) {
  KeyStore store(path_);
  ASSERT_TRUE(store.check(key_.key, t0()).ok);
  NewApiKey later = add_key("carol", "beta", {"x.read"});
  KeyCheck c = store.check(later.key, t0());
  ASSERT_TRUE(c.ok) << c.reason;
  EXPECT_EQ(c.principal.tenant, "beta");
}

TEST_F(KeyStoreTest, ScopeEditsAreSeenEvenWhenWrittenInPlace) {
  KeyStore store(path_);
  ASSERT_TRUE(store.check(key_.key, t0()).ok);
  // An editor that truncates and rewrites keeps the inode; the size change still shows up.
  file_.keys[0].scopes = {"dns.read", "dns.write"};
  test::write_file(path_, serialize_keys_file(file_));
  EXPECT_EQ(store.check(key_.key, t0()).principal.scopes, (std::vector<std::string>{"dns.read", "dns.write"}));
}

TEST_F(KeyStoreTest, CorruptedFileFailsClosedThenRecovers) {
  KeyStore store(path_);
  ASSERT_TRUE(store.check(key_.key, t0()).ok);
  test::write_file(path_, "{\"version\": 1, \"keys\": [");
  KeyCheck c = store.check(key_.key, t0());
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.reason.rfind("keys file " + path_ + " is invalid: $: invalid JSON at line 1", 0), 0u) << c.reason;
  save();
  EXPECT_TRUE(store.check(key_.key, t0()).ok);
}

TEST_F(KeyStoreTest, InvalidContentFailsClosedWithPath) {
  KeyStore store(path_);
  test::write_file(path_, R"({"version": 1, "keys": [], "owner": "x"})");
  EXPECT_EQ(store.check(key_.key, t0()).reason, "keys file " + path_ + " is invalid: $.owner: unknown field");
}

TEST_F(KeyStoreTest, MissingFileFailsClosed) {
  KeyStore store(dir_.file("gone.json"));
  EXPECT_EQ(store.check(key_.key, t0()).reason,
            "keys file " + dir_.file("gone.json") + " is invalid: cannot read file: No such file or directory");
  std::filesystem::rename(path_, dir_.file("gone.json"));
  EXPECT_TRUE(store.check(key_.key, t0()).ok);
}

TEST_F(KeyStoreTest, ConcurrentChecksAgree) {
  KeyStore store(path_);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) ok += store.check(key_.key, t0()).ok ? 1 : 0;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

}  // namespace
}  // namespace toolgate
