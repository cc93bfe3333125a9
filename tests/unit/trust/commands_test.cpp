// `toolgate plugin keygen|sign|verify` and `toolgate manifest hash|lint`, called in-process
// (core/app/plugin_command.hpp, manifest_command.hpp); the real binary is driven by
// tests/integration/trust_test.cpp.
#include "app/manifest_command.hpp"
#include "app/plugin_command.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "test_support.hpp"
#include "util/digest.hpp"

namespace toolgate {
namespace {

using namespace trust_test;

struct CmdRun {
  int status;
  std::string out, err;
};

CmdRun plugin(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int status = run_plugin_command(args, out, err);
  return {status, out.str(), err.str()};
}

CmdRun manifest(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int status = run_manifest_command(args, out, err);
  return {status, out.str(), err.str()};
}

class Commands : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir.file("libdemo.so"), "pretend this is an ELF library");
    json::object doc = manifest_doc();
    doc["sha256"] = sha256_hex("pretend this is an ELF library");
    write_text(dir.file("demo.json"), json::serialize(doc));
    CmdRun k = plugin({"keygen", "--out", dir.file("keys"), "--name", "acme"});
    ASSERT_EQ(k.status, 0) << k.err;
  }
  TempDir dir;
};

TEST_F(Commands, KeygenWritesAPrivateKeyOnlyTheOwnerCanRead) {
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("keys/acme.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.file("keys/acme.pub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_NE(read_text(dir.file("keys/acme.pub")).find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  // Never overwrites a key.
  CmdRun again = plugin({"keygen", "--out", dir.file("keys"), "--name", "acme"});
  EXPECT_EQ(again.status, 1);
  EXPECT_EQ(again.err, "toolgate plugin keygen: cannot create " + dir.file("keys/acme.key") +
                           ": File exists (not overwriting a key)\n");
}

TEST_F(Commands, KeygenPrintsThePolicySnippet) {
  CmdRun k = plugin({"keygen", "--out", dir.file("more")});
  ASSERT_EQ(k.status, 0) << k.err;
  std::string error;
  auto key = load_public_key_file(dir.file("more/publisher.pub"), "", error);
  ASSERT_TRUE(key) << error;
  EXPECT_NE(k.out.find("key id: " + key->key_id + "\n"), std::string::npos) << k.out;
  EXPECT_NE(k.out.find("{\"name\": \"publisher\", \"key\": \"" + base64_encode(key->raw) + "\"}"), std::string::npos);
}

TEST_F(Commands, SignThenVerify) {
  CmdRun s = plugin({"sign", "--key", dir.file("keys/acme.key"), dir.file("demo.json")});
  ASSERT_EQ(s.status, 0) << s.err;
  json::value doc = json::parse(read_text(dir.file("demo.json")));
  EXPECT_EQ(doc.at("signature").at("algorithm"), "Ed25519");
  CmdRun v = plugin({"verify", "--trusted", dir.file("keys/acme.pub"), dir.file("demo.json")});
  EXPECT_EQ(v.status, 0) << v.out << v.err;
  EXPECT_EQ(v.out, dir.file("demo.json") + ": signature verifies: plugin demo 1.0.0 signed by publisher 'acme'\n" +
                       dir.file("demo.json") + ": library " + dir.file("libdemo.so") + " matches the signed sha256\n");
  // Re-signing replaces the signature rather than adding another.
  ASSERT_EQ(plugin({"sign", "--key", dir.file("keys/acme.key"), dir.file("demo.json")}).status, 0);
  std::string text = read_text(dir.file("demo.json"));
  EXPECT_EQ(text.find("\"signature\""), text.rfind("\"signature\""));
}

TEST_F(Commands, VerifyRefusesASwappedLibraryAndAnUntrustedKey) {
  ASSERT_EQ(plugin({"sign", "--key", dir.file("keys/acme.key"), dir.file("demo.json")}).status, 0);
  write_text(dir.file("libdemo.so"), "a different library");
  CmdRun v = plugin({"verify", "--trusted", dir.file("keys/acme.pub"), dir.file("demo.json")});
  EXPECT_EQ(v.status, 1);
  EXPECT_NE(v.out.find(": refused: plugin demo: library " + dir.file("libdemo.so") + " has sha256 " +
                       sha256_hex("a different library") + ", the manifest says "),
            std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find("(the library was replaced or modified after the manifest was written or signed)"), std::string::npos);

  ASSERT_EQ(plugin({"keygen", "--out", dir.file("keys"), "--name", "other"}).status, 0);
  CmdRun u = plugin({"verify", "--trusted", dir.file("keys/other.pub"), dir.file("demo.json")});
  EXPECT_EQ(u.status, 1);
  EXPECT_NE(u.out.find(": refused: plugin demo: signed by key "), std::string::npos) << u.out;
}

TEST_F(Commands, VerifyRefusesAnUnsignedManifest) {
  CmdRun v = plugin({"verify", "--trusted", dir.file("keys/acme.pub"), dir.file("demo.json")});
  EXPECT_EQ(v.status, 1);
  EXPECT_EQ(v.out, dir.file("demo.json") + ": refused: plugin demo: the manifest is not signed\n");
}

TEST_F(Commands, SignRefusesAManifestThatDoesNotMatchItsLibrary) {
  write_text(dir.file("libdemo.so"), "rebuilt");
  CmdRun s = plugin({"sign", "--key", dir.file("keys/acme.key"), dir.file("demo.json")});
  EXPECT_EQ(s.status, 1);
  EXPECT_NE(s.err.find("refusing to sign " + dir.file("demo.json") + ": library "), std::string::npos) << s.err;
  EXPECT_FALSE(json::parse(read_text(dir.file("demo.json"))).as_object().contains("signature"));
}

TEST_F(Commands, UsageErrors) {
  EXPECT_EQ(plugin({}).status, 2);
  EXPECT_EQ(plugin({"frob"}).status, 2);
  EXPECT_EQ(plugin({"sign", dir.file("demo.json")}).status, 2);
  CmdRun v = plugin({"verify", dir.file("demo.json")});
  EXPECT_EQ(v.status, 2);
  EXPECT_EQ(v.err, "toolgate plugin verify: no trusted keys: pass --trusted PUB or --config POLICY\n");
  EXPECT_EQ(plugin({"keygen", "--out"}).status, 2);
  EXPECT_EQ(manifest({"hash"}).status, 2);
  EXPECT_EQ(manifest({"lint"}).status, 2);
  EXPECT_EQ(manifest({"--help"}).status, 0);
}

TEST_F(Commands, HashWritesTheDigestKeepingTheRestAsWritten) {
  std::string text = "{\n  \"manifestVersion\": 1,\n  \"name\": \"demo\",\n  \"version\": \"1.0.0\",\n"
                     "  \"library\": \"libdemo.so\",\n  \"abi\": {\"major\": 1},\n  \"tools\": []\n}\n";
  write_text(dir.file("fresh.json"), text);
  ::chmod(dir.file("fresh.json").c_str(), 0640);
  CmdRun h = manifest({"hash", dir.file("fresh.json")});
  ASSERT_EQ(h.status, 0) << h.err;
  std::string digest = sha256_hex("pretend this is an ELF library");
  EXPECT_EQ(read_text(dir.file("fresh.json")),
            "{\n  \"manifestVersion\": 1,\n  \"name\": \"demo\",\n  \"version\": \"1.0.0\",\n"
            "  \"library\": \"libdemo.so\",\n  \"sha256\": \"" + digest + "\",\n  \"abi\": {\"major\": 1},\n  \"tools\": []\n}\n");
  EXPECT_EQ(h.out, dir.file("fresh.json") + ": sha256 " + digest + " (" + dir.file("libdemo.so") + ")\n");
  struct stat st {};
  ::stat(dir.file("fresh.json").c_str(), &st);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  CmdRun again = manifest({"hash", dir.file("fresh.json")});
  EXPECT_EQ(again.out, dir.file("fresh.json") + ": sha256 already matches " + dir.file("libdemo.so") + "\n");
}

TEST_F(Commands, HashWithAnotherLibraryRenamesItAndWarnsAboutASignature) {
  ASSERT_EQ(plugin({"sign", "--key", dir.file("keys/acme.key"), dir.file("demo.json")}).status, 0);
  write_text(dir.file("libdemo2.so"), "v2");
  CmdRun h = manifest({"hash", dir.file("demo.json"), "--library", dir.file("libdemo2.so")});
  ASSERT_EQ(h.status, 0) << h.err;
  json::value doc = json::parse(read_text(dir.file("demo.json")));
  EXPECT_EQ(doc.at("library"), "libdemo2.so");
  EXPECT_EQ(doc.at("sha256"), json::value(sha256_hex("v2")));
  EXPECT_NE(h.err.find("was signed; the signature no longer matches. Re-sign it: toolgate plugin sign --key KEY"),
            std::string::npos);
  CmdRun missing = manifest({"hash", dir.file("demo.json"), "--library", dir.file("nope.so")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.err, "toolgate manifest hash: cannot read library " + dir.file("nope.so") + ": No such file or directory\n");
}

TEST_F(Commands, LintExitStatusFollowsErrorsNotWarnings) {
  CmdRun clean = manifest({"lint", dir.file("demo.json")});
  EXPECT_EQ(clean.status, 0) << clean.out;
  EXPECT_EQ(clean.out, "0 error(s), 0 warning(s) in 1 file(s)\n");
  json::object warned = manifest_doc();
  first_tool(warned)["description"] = "Adds. <!-- and more -->";
  write_text(dir.file("warned.json"), json::serialize(warned));
  CmdRun w = manifest({"lint", dir.file("warned.json"), dir.file("demo.json")});
  EXPECT_EQ(w.status, 0);
  EXPECT_NE(w.out.find(dir.file("warned.json") + ":1:"), std::string::npos) << w.out;
  EXPECT_NE(w.out.find("0 error(s), 1 warning(s) in 2 file(s)"), std::string::npos) << w.out;
  write_text(dir.file("bad.json"), "{\"manifestVersion\": 2}");
  CmdRun b = manifest({"lint", dir.file("bad.json"), dir.file("missing.json")});
  EXPECT_EQ(b.status, 1);
  EXPECT_NE(b.out.find(dir.file("missing.json") + ":1:1: error: " + dir.file("missing.json") + ": cannot read file"),
            std::string::npos)
      << b.out;
}

}  // namespace
}  // namespace toolgate
