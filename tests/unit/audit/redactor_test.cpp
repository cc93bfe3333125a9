#include "audit/redactor.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace toolgate {
namespace {

namespace json = boost::json;

const std::string kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const std::string kPem =
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7V1u\nQ2Fyb2xpbmU=\n-----END RSA PRIVATE KEY-----";

TEST(Redactor, ValuesUnderSecretKeys) {
  Redactor r;
  json::value in = json::parse(R"({"user": "bob", "password": "hunter2", "X-Api-Key": "k-123",
      "db_password": "pw", "Authorization": "Basic Ym9iOnB3", "nested": {"client_secret": {"a": 1},
      "list": [{"refresh_token": "rt"}, {"apikey": 42}]}, "Cookie": ["a=1"], "token": null, "hostname": "db1"})");
  json::value out = r.redact(in);
  EXPECT_EQ(out, json::parse(R"({"user": "bob", "password": "[REDACTED]", "X-Api-Key": "[REDACTED]",
      "db_password": "[REDACTED]", "Authorization": "[REDACTED]", "nested": {"client_secret": "[REDACTED]",
      "list": [{"refresh_token": "[REDACTED]"}, {"apikey": "[REDACTED]"}]}, "Cookie": "[REDACTED]",
      "token": null, "hostname": "db1"})"));
  EXPECT_EQ(in.at("password"), json::value("hunter2"));  // the input is not modified
}

TEST(Redactor, KeyRuleIgnoresCaseAndSeparators) {
  Redactor r;
  EXPECT_TRUE(r.is_secret_key("PASSWORD"));
  EXPECT_TRUE(r.is_secret_key("x-api-key"));
  EXPECT_TRUE(r.is_secret_key("Private-Key"));
  EXPECT_TRUE(r.is_secret_key("aws_secret_access_key"));
  EXPECT_TRUE(r.is_secret_key("max_tokens"));  // documented over-redaction
  EXPECT_FALSE(r.is_secret_key("author"));
  EXPECT_FALSE(r.is_secret_key("query"));
  EXPECT_FALSE(r.is_secret_key("api"));
}

TEST(Redactor, ConfiguredKeysReplaceDefaults) {
  Redactor r({"pin"}, {});
  EXPECT_EQ(r.redact(json::parse(R"({"card_pin": 1234, "password": "x"})")),
            json::parse(R"({"card_pin": "[REDACTED]", "password": "x"})"));
}

TEST(Redactor, JwtInText) {
  Redactor r;
  EXPECT_EQ(r.redact_text("token is " + kJwt + " ok"), "token is [REDACTED] ok");
}

TEST(Redactor, BearerToken) {
  Redactor r;
  EXPECT_EQ(r.redact_text("curl -H 'Authorization: Bearer abcDEF123456.xyz' x"),
            "curl -H 'Authorization: Bearer [REDACTED]' x");
  EXPECT_EQ(r.redact_text("bearer tokens are fine to mention"), "bearer tokens are fine to mention");
}

// Built-in patterns run only when one of their trigger words occurs (found in one pass, by first
// letter); the words are matched in any case and anywhere, first and last position included.
TEST(Redactor, TriggerWordsAreFoundInAnyCaseAndPosition) {
  Redactor r;
  EXPECT_EQ(r.redact_text("BEARER abcDEF123456.xyz"), "BEARER [REDACTED]");
  EXPECT_EQ(r.redact_text("id AKIAABCDEFGHIJKLMNOP"), "id [REDACTED]");
  EXPECT_EQ(r.redact_text(kJwt), "[REDACTED]");
  EXPECT_EQ(r.redact_text("x" + kPem), "x[REDACTED]");
  EXPECT_EQ(r.redact_text("conn PassWord=hunter2"), "conn PassWord=[REDACTED]");
  EXPECT_EQ(r.redact_text("no secrets here, just xxxx and akia"), "no secrets here, just xxxx and akia");
  json::value v = json::parse(R"({"note": "Bearer abcDEF123456.xyz", "plain": "nothing to see"})");
  r.redact_in_place(v);
  EXPECT_EQ(json::serialize(v), R"({"note":"Bearer [REDACTED]","plain":"nothing to see"})");
}

// Every built-in pattern's secret is found at the start of a text, after other text, and as its
// last bytes, in any case where the pattern allows it: the scan rules positions out by their first
// two bytes before it compares trigger words.
TEST(Redactor, EachBuiltInSecretIsFoundWhereverItSits) {
  Redactor r;
  const std::vector<std::string> secrets = {
      "Bearer abcDEF123456.xyz", kJwt, kPem, "AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A",
      "ghp_" + std::string(36, 'a'), "github_pat_" + std::string(22, 'b'), "xoxb-1234567890-abcdef",
      "AIza" + std::string(35, 'c'), "sk-ant-api03-abcdefghijklmnopqrstuvwxyz", "rk_live_" + std::string(16, 'd'),
      "sk_test_" + std::string(16, 'e'), "https://app:s3cr3t@db", "PASSWORD=hunter2"};
  for (const std::string& secret : secrets) {
    for (const std::string& text : {secret, "Some Text, then " + secret, "x " + secret + " y"}) {
      std::string out = r.redact_text(text);
      EXPECT_NE(out.find("[REDACTED]"), std::string::npos) << text;
      EXPECT_EQ(out.find(secret), std::string::npos) << text;
    }
  }
  // Pieces of trigger words, split across what the scan looks at, change nothing.
  for (std::string_view text : {"s", "sk", "a k i a", "Be arer", "AKI", "eyj", "x-----", "ghp", ":/"})
    EXPECT_EQ(r.redact_text(text), text);
}

TEST(Redactor, PemPrivateKeyBlock) {
  Redactor r;
  EXPECT_EQ(r.redact_text("key:\n" + kPem + "\nend"), "key:\n[REDACTED]\nend");
  EXPECT_EQ(r.redact_text("-----BEGIN PRIVATE KEY-----\nMIIEvQ...truncated"), "[REDACTED]");
  std::string cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  EXPECT_EQ(r.redact_text(cert), cert);
}

TEST(Redactor, AwsAccessKeyId) {
  Redactor r;
  EXPECT_EQ(r.redact_text("id=AKIAIOSFODNN7EXAMPLE,"), "id=[REDACTED],");
  EXPECT_EQ(r.redact_text("ASIAY34FZKBOKMUTVV7A"), "[REDACTED]");
  EXPECT_EQ(r.redact_text("AKIA-not-a-key"), "AKIA-not-a-key");
}

TEST(Redactor, OtherProviderTokensAndUrlPasswords) {
  Redactor r;
  EXPECT_EQ(r.redact_text("ghp_" + std::string(36, 'a')), "[REDACTED]");
  EXPECT_EQ(r.redact_text("xoxb-1234567890-abcdef"), "[REDACTED]");
  EXPECT_EQ(r.redact_text("sk-ant-api03-abcdefghijklmnopqrstuvwxyz"), "[REDACTED]");
  EXPECT_EQ(r.redact_text("postgres://app:s3cr3t@db:5432/x"), "postgres://[REDACTED]@db:5432/x");
  EXPECT_EQ(r.redact_text("login password=hunter2 user=bob"), "login password=[REDACTED] user=bob");
  EXPECT_EQ(r.redact_text("API_KEY: abc123, next"), "API_KEY: [REDACTED], next");
}

TEST(Redactor, SecretNamesWithAPrefixOrQuotedAsJsonText) {
  // access_token=, client_secret= (a word character before the name), and a JSON document passed
  // as a string argument ("password":"...") are the same secrets.
  Redactor r;
  EXPECT_EQ(r.redact_text("https://api.example.com/cb?access_token=SuperSecretValue123&x=1"),
            "https://api.example.com/cb?access_token=[REDACTED]&x=1");
  EXPECT_EQ(r.redact_text("client_secret=ABCDEFGH12345 refresh_token=ZZZZZZZZZZ"),
            "client_secret=[REDACTED] refresh_token=[REDACTED]");
  EXPECT_EQ(r.redact_text(R"({"password":"hunter2","apiKey": "k-123456789","user":"bob"})"),
            R"({"password":"[REDACTED]","apiKey": "[REDACTED]","user":"bob"})");
  EXPECT_EQ(r.redact(json::parse(R"({"pwd": "a", "passphrase": "b", "credentials": {"u": 1}, "user": "c"})")),
            json::parse(R"({"pwd": "[REDACTED]", "passphrase": "[REDACTED]", "credentials": "[REDACTED]", "user": "c"})"));
  EXPECT_EQ(r.redact_text("tokenizer settings: 12 layers"), "tokenizer settings: 12 layers");
}

TEST(Redactor, PatternsApplyInsideNestedJsonStrings) {
  Redactor r;
  json::value out = r.redact(json::parse(R"({"headers": ["Authorization: Bearer abcdefgh12345678"],
      "body": {"text": "use AKIAIOSFODNN7EXAMPLE now"}, "n": 5})"));
  EXPECT_EQ(out, json::parse(R"({"headers": ["Authorization: Bearer [REDACTED]"],
      "body": {"text": "use [REDACTED] now"}, "n": 5})"));
}

TEST(Redactor, ConfiguredPatterns) {
  Redactor r({}, {R"(\b\d{3}-\d{2}-\d{4}\b)", R"(pin (?<secret>\d+))"});
  EXPECT_EQ(r.redact_text("ssn 123-45-6789, 987-65-4321."), "ssn [REDACTED], [REDACTED].");
  EXPECT_EQ(r.redact_text("card pin 1234 ok"), "card pin [REDACTED] ok");  // only the secret group
  EXPECT_EQ(r.redact_text(kJwt), kJwt);  // the defaults were replaced
  Redactor empty_matches({}, {"x*"});
  EXPECT_EQ(empty_matches.redact_text("axxb").find('x'), std::string::npos);  // and it terminates
}

TEST(Redactor, InvalidPatternThrowsNamingIt) {
  try {
    Redactor r({}, {"(open"});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("invalid redaction pattern '(open': ", 0), 0u) << e.what();
  }
  EXPECT_TRUE(Redactor::pattern_error("[z-a]"));
  EXPECT_FALSE(Redactor::pattern_error("a+b"));
}

TEST(Redactor, LiteralCredentialScrubbedEverywhere) {
  Redactor r;
  const std::string credential = "tgk_live_Zq81bWm0cX";  // matches no pattern by itself
  EXPECT_EQ(r.redact_text("echo " + credential), "echo " + credential);
  r.add_literal(credential);
  r.add_literal("abc");  // too short to be a credential: ignored
  EXPECT_EQ(r.redact_text("echo " + credential + " and again:" + credential + "!"),
            "echo [REDACTED] and again:[REDACTED]!");
  EXPECT_EQ(r.redact(json::parse(R"({"args": ["--key=)" + credential + R"("], "note": "abc"})")),
            json::parse(R"({"args": ["--key=[REDACTED]"], "note": "abc"})"));
}

TEST(Redactor, APieceOfACredentialCutShortIsScrubbedToo) {
  // Text cut to a length (an audit field's cap) may end inside the credential: what is left of it
  // is scrubbed as long as it is at least 24 bytes from the credential's start.
  Redactor r;
  const std::string credential = "tgk_0123456789ab_" + std::string("f00dfeedcafebabe0123456789abcdef");
  r.add_literal(credential);
  EXPECT_EQ(r.redact_text("id " + credential.substr(0, 40) + "..."), "id [REDACTED]...");
  EXPECT_EQ(r.redact_text("x" + credential.substr(0, 24)), "x[REDACTED]");
  EXPECT_EQ(r.redact_text("key id " + credential.substr(0, 17) + " is public"), "key id " + credential.substr(0, 17) + " is public");
  // A whole credential followed by more text is replaced whole, and only it.
  EXPECT_EQ(r.redact_text(credential + "0"), "[REDACTED]0");
}

TEST(Redactor, AnotherTokenOfTheSameIssuerIsStillRedactedWhole) {
  // The caller's JWT and its signature are literals; another token sharing its header must still
  // meet the JWT pattern whole, not be cut short by a partial literal match.
  const std::string header = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0";
  const std::string mine = header + ".eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNlLXRva2Vu";
  const std::string other = header + ".eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLW9mLWJvYnMtdG9rZW4x";
  Redactor r;
  r.add_literal(mine);
  r.add_literal("c2lnbmF0dXJlLW9mLWFsaWNlLXRva2Vu");
  EXPECT_EQ(r.redact_text("mine " + mine + " other " + other), "mine [REDACTED] other [REDACTED]");
}

TEST(Redactor, AHugeStringWithASecretNameNearItsEndIsScannedNotGivenUp) {
  // The name=value pattern must stay linear: a scan that hits the regex engine's complexity
  // limit redacts the whole string, losing everything else in it.
  Redactor r;
  const std::string words(200000, 'a');
  EXPECT_EQ(r.redact_text(words + " token: s3cr3t"), words + " token: [REDACTED]");
  const std::string ident(200000, 'b');
  EXPECT_EQ(r.redact_text(ident + "_token=s3cr3t"), ident + "_token=[REDACTED]");
}

TEST(Redactor, SecretsInObjectKeysAreRedactedWithoutLosingMembers) {
  Redactor r;
  const std::string credential = "tgk_live_Zq81bWm0cX";
  r.add_literal(credential);
  const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlX2J5dGVz";
  json::value in = json::parse(R"({"text":"x",")" + credential + R"(":"y","note":{")" + jwt +
                               R"(":1,"[REDACTED]":2},"plain":3})");
  std::string out = json::serialize(r.redact(in));
  EXPECT_EQ(out.find(credential), std::string::npos) << out;
  EXPECT_EQ(out.find(jwt), std::string::npos) << out;
  // Keys that come out equal are told apart, so every member (and its value) is still there.
  EXPECT_EQ(r.redact(in), json::parse(R"({"text":"x","[REDACTED]":"y","note":{"[REDACTED]":1,"[REDACTED] #2":2},"plain":3})"));
}

TEST(Redactor, ConcurrentUseWhileAddingLiterals) {
  Redactor r;
  std::vector<std::thread> threads;
  std::atomic<int> leaks{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (r.redact_text("Bearer abcdefgh12345678").find("abcdefgh") != std::string::npos) ++leaks;
    });
  for (int i = 0; i < 50; ++i) r.add_literal("literal-secret-" + std::to_string(i));
  for (auto& t : threads) t.join();
  EXPECT_EQ(leaks.load(), 0);
  EXPECT_EQ(r.redact_text("x literal-secret-49 y"), "x [REDACTED] y");
}

TEST(Redactor, LongStringsDoNotBlowTheStack) {
  Redactor r;
  std::string big(2'000'000, 'A');
  std::string out = r.redact_text("eyJ" + big);
  EXPECT_EQ(out.size(), big.size() + 3);
  std::string pem = "-----BEGIN PRIVATE KEY-----\n" + std::string(500'000, 'Q');
  EXPECT_EQ(r.redact_text(pem), "[REDACTED]");
}

}  // namespace
}  // namespace toolgate
