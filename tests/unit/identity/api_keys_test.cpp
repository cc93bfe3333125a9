// API key format and hashing, and the keys file: strict loading with errors naming file and path,
// atomic 0600 writes.
#include "identity/api_keys.hpp"
#include "identity/keys_file.hpp"
#include "test_support.hpp"
#include "util/digest.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace toolgate {
namespace {

using test::TempDir;
using test::write_file;

TEST(ApiKey, GeneratedKeyHasFormatAndItsHashMatches) {
  NewApiKey k = generate_api_key();
  ASSERT_EQ(k.key.size(), 4 + 12 + 1 + 64);
  EXPECT_EQ(k.key.substr(0, 4), "tgk_");
  auto parsed = parse_api_key(k.key);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->id, k.id);
  EXPECT_EQ(parsed->secret.size(), 64u);
  EXPECT_TRUE(is_api_key_id(k.id));
  EXPECT_TRUE(is_api_key_hash(k.hash));
  EXPECT_EQ(k.hash, "sha256:" + sha256_hex(parsed->secret));
  EXPECT_EQ(k.key.find(k.hash.substr(7)), std::string::npos);
  EXPECT_TRUE(api_key_secret_matches(parsed->secret, k.hash));
  EXPECT_FALSE(api_key_secret_matches(parsed->secret + "0", k.hash));
  EXPECT_NE(generate_api_key().key, k.key);
}

TEST(ApiKey, ParseRejectsMalformedKeys) {
  for (const char* bad : {"", "tgk_", "tgk_0123456789ab", "tgk_0123456789ab_", "tgk_0123456789AB_s",
                          "tgk_0123456789a_secret", "tgx_0123456789ab_secret", "tgk-0123456789ab-secret"})
    EXPECT_FALSE(parse_api_key(bad)) << bad;
  auto ok = parse_api_key("tgk_0123456789ab_s3cret_with_underscore");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->secret, "s3cret_with_underscore");
}

const std::string kHash = "sha256:" + std::string(64, 'a');

std::string one_key(const std::string& extra = "") {
  return R"({"version": 1, "keys": [{"id": "0123456789ab", "hash": ")" + kHash +
         R"(", "subject": "alice", "tenant": "acme", "scopes": ["dns.read"])" + extra + "}]}";
}

TEST(KeysFile, ParsesAllFields) {
  JsonErrors errors;
  auto f = parse_keys_file(one_key(R"(, "created": "2026-01-01T00:00:00Z", "expires": "2027-01-01T00:00:00Z",
                                       "disabled": true)"),
                           errors);
  ASSERT_TRUE(f) << errors.joined();
  ASSERT_EQ(f->keys.size(), 1u);
  const ApiKeyRecord& k = f->keys[0];
  EXPECT_EQ(k.subject, "alice");
  EXPECT_EQ(k.tenant, "acme");
  EXPECT_EQ(k.scopes, std::vector<std::string>{"dns.read"});
  EXPECT_EQ(format_rfc3339(*k.expires), "2027-01-01T00:00:00Z");
  EXPECT_TRUE(k.disabled);
  EXPECT_TRUE(f->find("0123456789ab"));
  EXPECT_FALSE(f->find("ffffffffffff"));
}

std::string load_error(const std::string& text) {
  TempDir dir;
  std::string path = dir.file("keys.json");
  write_file(path, text);
  JsonErrors errors;
  EXPECT_FALSE(load_keys_file(path, errors));
  std::string joined = errors.joined();
  std::string prefix = "keys file " + path + ": ";
  EXPECT_EQ(joined.substr(0, prefix.size()), prefix) << joined;
  // Strip the temp path so expectations stay readable; every line was checked to carry it.
  std::string out;
  for (const auto& item : errors.items()) out += (out.empty() ? "" : "\n") + item.substr(prefix.size());
  return out;
}

TEST(KeysFile, MalformedJsonNamesFileAndPosition) {
  EXPECT_EQ(load_error("{\"version\": 1,\n \"keys\": [}").substr(0, 34), "$: invalid JSON at line 2, column ");
}

TEST(KeysFile, DuplicateIdsNameBothEntries) {
  std::string entry = R"({"id": "0123456789ab", "hash": ")" + kHash + R"(", "subject": "a", "tenant": "t", "scopes": []})";
  EXPECT_EQ(load_error(R"({"version": 1, "keys": [)" + entry + "," + entry + "]}"),
            "$.keys[1].id: duplicate id \"0123456789ab\" (also at $.keys[0])");
}

TEST(KeysFile, ControlCharactersInNamesAreErrors) {
  // "acme\u0000x" would escape acme's rules in the policy yet read as "acme" to a plugin.
  EXPECT_EQ(load_error(R"({"version": 1, "keys": [{"id": "0123456789ab", "hash": ")" + kHash +
                       R"(", "subject": "alice", "tenant": "acme\u0000x", "scopes": []}]})"),
            "$.keys[0].tenant: contains a control character (byte 0)");
  EXPECT_EQ(load_error(R"({"version": 1, "keys": [{"id": "0123456789ab", "hash": ")" + kHash +
                       R"(", "subject": "eve\nforged", "tenant": "acme", "scopes": []}]})"),
            "$.keys[0].subject: contains a control character (byte 10)");
}

TEST(KeysFile, UnknownFieldsAreErrors) {
  EXPECT_EQ(load_error(one_key(R"(, "secret": "oops")")), "$.keys[0].secret: unknown field");
  EXPECT_EQ(load_error(R"({"version": 1, "keys": [], "extra": 1})"), "$.extra: unknown field");
}

TEST(KeysFile, WrongTypesAndValuesAreErrors) {
  EXPECT_EQ(load_error(one_key(R"(, "disabled": "yes")")), "$.keys[0].disabled: expected true or false");
  EXPECT_EQ(load_error(one_key(R"(, "expires": "next year")")),
            "$.keys[0].expires: expected an RFC 3339 timestamp like 2027-01-01T00:00:00Z");
  EXPECT_EQ(load_error(R"({"version": 2, "keys": []})"), "$.version: expected an integer from 1 to 1, got 2");
  EXPECT_EQ(load_error(R"({"keys": {}})"), "$.version: is required\n$.keys: expected an array");
  EXPECT_EQ(load_error(R"({"version": 1, "keys": [{"id": "XYZ", "hash": "md5:00", "subject": "", "scopes": "a"}]})"),
            "$.keys[0].id: expected 12 lower-case hex characters\n"
            "$.keys[0].hash: expected \"sha256:\" followed by 64 lower-case hex characters\n"
            "$.keys[0].subject: must not be empty\n"
            "$.keys[0].tenant: is required\n"
            "$.keys[0].scopes: expected an array of strings");
  EXPECT_EQ(load_error("[]"), "$: expected an object like {\"version\": 1, \"keys\": []}");
  EXPECT_EQ(load_error(R"({"version": 1, "keys": [3]})"), "$.keys[0]: expected an object");
}

TEST(KeysFile, MissingFileNamesFile) {
  TempDir dir;
  JsonErrors errors;
  EXPECT_FALSE(load_keys_file(dir.file("nope.json"), errors));
  EXPECT_EQ(errors.joined(), "keys file " + dir.file("nope.json") + ": cannot read file: No such file or directory");
}

TEST(KeysFile, SaveIsAtomicWithMode0600AndRoundTrips) {
  TempDir dir;
  std::string path = dir.file("keys.json");
  KeysFile f;
  ApiKeyRecord rec;
  rec.id = "0123456789ab";
  rec.hash = kHash;
  rec.subject = "alice \"the admin\"";
  rec.tenant = "acme";
  rec.scopes = {"dns.read", "dns.write"};
  rec.created = test::t0();
  f.keys.push_back(rec);
  std::string error;
  ::umask(0);  // even a permissive umask must not widen the mode
  ASSERT_TRUE(save_keys_file(path, f, error)) << error;
  ::umask(022);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  JsonErrors errors;
  auto back = load_keys_file(path, errors);
  ASSERT_TRUE(back) << errors.joined();
  EXPECT_EQ(back->keys[0].subject, rec.subject);
  EXPECT_EQ(back->keys[0].scopes, rec.scopes);
  EXPECT_EQ(back->keys[0].created, rec.created);
  EXPECT_FALSE(back->keys[0].expires);
  // No temp files are left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST(KeysFile, SaveIntoMissingDirectoryFailsWithReason) {
  TempDir dir;
  std::string error;
  EXPECT_FALSE(save_keys_file(dir.file("no/such/keys.json"), KeysFile{}, error));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

}  // namespace
}  // namespace toolgate
