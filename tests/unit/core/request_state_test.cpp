// The sealed requestState behind 2026-07-28 consent: it opens only for the caller, tool and
// arguments it was issued for, only once, only before it expires, and only if this server (with
// this key) issued it unaltered. Each refusal names its reason, which the call's audit entry keeps.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>

#include "protocol/request_state.hpp"

namespace json = boost::json;
using toolgate::args_digest;
using toolgate::RequestStateClaims;
using toolgate::RequestStateSealer;

namespace {

RequestStateClaims claims() {
  return RequestStateClaims{"alice", "acme", "delete_thing", args_digest(json::object{{"id", "t1"}})};
}

// Flips one character of the token at `pos` to another base64url character.
std::string flip(std::string token, std::size_t pos) {
  token[pos] = token[pos] == 'A' ? 'B' : 'A';
  return token;
}

}  // namespace

TEST(RequestState, OpensOnceForTheClaimsItWasIssuedFor) {
  RequestStateSealer s("k");
  std::string t = s.seal(claims());
  EXPECT_EQ(t.rfind("tg1.", 0), 0u);
  EXPECT_EQ(s.open(t, claims()), "");
  EXPECT_EQ(s.open(t, claims()), "requestState was already used");
}

TEST(RequestState, EachSealIsDistinct) {
  RequestStateSealer s("k");
  std::string a = s.seal(claims()), b = s.seal(claims());
  EXPECT_NE(a, b);
  EXPECT_EQ(s.open(a, claims()), "");
  EXPECT_EQ(s.open(b, claims()), "") << "using one token must not burn another";
}

TEST(RequestState, ForgedOrAlteredTokensFailAuthentication) {
  RequestStateSealer s("k");
  std::string t = s.seal(claims());
  std::size_t payload_at = 5, mac_at = t.size() - 3;
  EXPECT_EQ(s.open(flip(t, payload_at), claims()), "requestState failed authentication (forged or altered)");
  EXPECT_EQ(s.open(flip(t, mac_at), claims()), "requestState failed authentication (forged or altered)");
  // Same format, other key: another server (or a guesser) cannot mint tokens.
  RequestStateSealer other("another key");
  EXPECT_EQ(s.open(other.seal(claims()), claims()), "requestState failed authentication (forged or altered)");
  // The untouched token still works: failed attempts do not consume it.
  EXPECT_EQ(s.open(t, claims()), "");
}

TEST(RequestState, GarbageIsRefusedWithoutCrashing) {
  RequestStateSealer s("k");
  for (const char* bad : {"", "tg1.", "tg1..", "tg1.x.y", "tg2.abc.def", "not a token", "tg1.!!!.???"})
    EXPECT_FALSE(s.open(bad, claims()).empty()) << bad;
  EXPECT_EQ(s.open("garbage", claims()), "requestState is not one this server issued");
}

TEST(RequestState, ExpiredTokensAreRefused) {
  // A negative lifetime issues tokens that are already past their expiry: no sleeping needed.
  RequestStateSealer s("k", std::chrono::seconds(-1));
  EXPECT_EQ(s.open(s.seal(claims()), claims()), "requestState has expired; call the tool again");
}

TEST(RequestState, MismatchedPrincipalToolOrArgumentsAreRefused) {
  RequestStateSealer s("k");
  RequestStateClaims other_subject = claims(), other_tenant = claims(), other_tool = claims(), other_args = claims();
  other_subject.subject = "mallory";
  other_tenant.tenant = "globex";
  other_tool.tool = "delete_everything";
  other_args.args_digest = args_digest(json::object{{"id", "t2"}});
  EXPECT_EQ(s.open(s.seal(claims()), other_subject), "requestState was issued to a different caller");
  EXPECT_EQ(s.open(s.seal(claims()), other_tenant), "requestState was issued to a different caller");
  EXPECT_EQ(s.open(s.seal(claims()), other_tool), "requestState was issued for a different tool");
  EXPECT_EQ(s.open(s.seal(claims()), other_args), "requestState was issued for different arguments");
}

TEST(RequestState, ArgumentDigestIgnoresKeyOrderButNotValues) {
  json::value a = json::parse(R"({"x":1,"y":[1,2]})"), b = json::parse(R"({"y":[1,2],"x":1})");
  EXPECT_EQ(args_digest(a), args_digest(b));
  EXPECT_NE(args_digest(a), args_digest(json::parse(R"({"x":1,"y":[2,1]})")));
}

TEST(RequestState, ARandomKeyPerProcessStillSealsAndOpens) {
  RequestStateSealer a(""), b("");
  std::string t = a.seal(claims());
  EXPECT_EQ(b.open(t, claims()), "requestState failed authentication (forged or altered)");
  EXPECT_EQ(a.open(t, claims()), "");
}

TEST(RequestState, ProcessesSharingAKeyAcceptATokenOnceAmongThem) {
  // Two sealers stand for two toolgate processes with one consent.stateKeyFile: the token one
  // issued opens in the other, but only once among all of them.
  char tmpl[] = "/tmp/tg-spent-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string spent = std::string(tmpl) + "/consent-spent";
  const std::string key(32, 'k');
  RequestStateSealer a(key, std::chrono::seconds(300), spent), b(key, std::chrono::seconds(300), spent);
  std::string t = a.seal(claims());
  EXPECT_EQ(b.open(t, claims()), "");
  EXPECT_EQ(a.open(t, claims()), "requestState was already used");
  EXPECT_EQ(b.open(t, claims()), "requestState was already used");
  // Where the shared record cannot be written, the token is refused, not let through.
  RequestStateSealer c(key, std::chrono::seconds(300), "/proc/no-such-dir/consent-spent");
  EXPECT_EQ(c.open(c.seal(claims()), claims()).rfind("requestState cannot be checked against other toolgate processes: "
                                                      "cannot create /proc/no-such-dir/consent-spent: ",
                                                      0),
            0u);
  std::filesystem::remove_all(tmpl);
}
