#include "audit/audit_entry.hpp"
#include "audit/chain.hpp"
#include "test_helpers.hpp"
#include "util/digest.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace toolgate {
namespace {

namespace json = boost::json;
using namespace std::chrono;

TEST(AuditEntry, TimestampIsRfc3339UtcWithMilliseconds) {
  auto t = sys_days{year{2026} / 11 / 26} + hours{14} + minutes{5} + seconds{14} + milliseconds{123};
  EXPECT_EQ(format_audit_timestamp(t), "2026-11-26T14:05:14.123Z");
  EXPECT_EQ(format_audit_timestamp(sys_days{year{1970} / 1 / 1}), "1970-01-01T00:00:00.000Z");
  // The same second again (formatted from a per-thread cache), other milliseconds, and back.
  EXPECT_EQ(format_audit_timestamp(t + milliseconds{800}), "2026-11-26T14:05:14.923Z");
  EXPECT_EQ(format_audit_timestamp(t + milliseconds{877}), "2026-11-26T14:05:15.000Z");
  EXPECT_EQ(format_audit_timestamp(t - milliseconds{123}), "2026-11-26T14:05:14.000Z");
  EXPECT_EQ(format_audit_timestamp(sys_days{year{1969} / 12 / 31} + hours{23} + minutes{59} + seconds{59} +
                                   milliseconds{7}),
            "1969-12-31T23:59:59.007Z");
  std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  EXPECT_TRUE(std::regex_match(format_audit_timestamp(system_clock::now()), shape));
}

TEST(AuditEntry, ParsesRfc3339) {
  auto t = parse_audit_time("2026-11-26T14:05:14.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_audit_timestamp(*t), "2026-11-26T14:05:14.123Z");
  auto offset = parse_audit_time("2026-11-26T16:05:14+02:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(format_audit_timestamp(*offset), "2026-11-26T14:05:14.000Z");
  EXPECT_FALSE(parse_audit_time("2026-11-26 14:05:14Z"));
  EXPECT_FALSE(parse_audit_time("2026-11-26T14:05:14"));
  EXPECT_FALSE(parse_audit_time("2026-13-26T14:05:14Z"));
  EXPECT_FALSE(parse_audit_time("2026-11-26T14:05:14.Z"));
  EXPECT_FALSE(parse_audit_time("yesterday"));
}

TEST(AuditEntry, TraceIdFromTraceparent) {
  EXPECT_EQ(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  // A future version may carry more fields after a dash.
  EXPECT_EQ(trace_id_from_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_FALSE(trace_id_from_traceparent(""));
  EXPECT_FALSE(trace_id_from_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // upper case
  EXPECT_FALSE(trace_id_from_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));  // zero trace
  EXPECT_FALSE(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));  // zero parent
  EXPECT_FALSE(trace_id_from_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));  // version ff
  EXPECT_FALSE(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"));  // v00 + extra
  EXPECT_FALSE(trace_id_from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"));  // short
  EXPECT_FALSE(trace_id_from_traceparent("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"));
  std::string fresh = new_trace_id();
  EXPECT_EQ(fresh.size(), 32u);
  EXPECT_EQ(fresh.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(AuditEntry, OutcomeNamesRoundTrip) {
  for (std::size_t i = 0; i < kAuditOutcomeNames.size(); ++i) {
    auto o = static_cast<AuditOutcome>(i);
    EXPECT_EQ(parse_outcome(outcome_name(o)), o);
  }
  EXPECT_EQ(outcome_name(AuditOutcome::consent_declined), "consent_declined");
  EXPECT_FALSE(parse_outcome("denied"));
}

TEST(AuditEntry, SchemaEnumMatchesOutcomeList) {
  json::value schema = json::parse(test::read_text(TOOLGATE_AUDIT_SCHEMA));
  const json::array& e = schema.at("properties").at("outcome").at("enum").as_array();
  ASSERT_EQ(e.size(), kAuditOutcomeNames.size());
  for (std::size_t i = 0; i < e.size(); ++i) EXPECT_EQ(e[i].as_string(), kAuditOutcomeNames[i]);
}

TEST(AuditEntry, CanonicalOrderAndOmissions) {
  AuditEntry e = test::sample_entry(1);
  e.id = "11111111-2222-4333-8444-555555555555";
  e.timestamp = "2026-11-26T14:05:14.123Z";
  e.trace_id = std::string(32, 'c');
  e.consent_id = "consent-1";
  e.job_id = "job-1";
  e.error_message = "upstream said no";
  std::string full = canonical_from_prefix(canonical_prefix(e), kGenesisHash);
  json::object o = json::parse(full).as_object();
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "timestamp", "actor", "tenant", "tool", "plugin", "pluginVersion",
                                            "input", "outcome", "latencyMs", "errorCode", "errorMessage", "requestId", "traceId",
                                            "consentId", "jobId", "clientName", "clientVersion", "policyDigest",
                                            "manifestDigest", "prev"}));
  EXPECT_EQ(o.at("requestId"), json::value(1));

  AuditEntry bare;
  bare.id = e.id;
  bare.timestamp = e.timestamp;
  bare.trace_id = e.trace_id;
  json::object b = json::parse(canonical_from_prefix(canonical_prefix(bare), kGenesisHash)).as_object();
  for (const char* absent : {"plugin", "pluginVersion", "errorMessage", "requestId", "consentId", "jobId", "clientName",
                             "clientVersion", "policyDigest", "manifestDigest"})
    EXPECT_FALSE(b.contains(absent)) << absent;
  EXPECT_EQ(b.at("errorCode"), json::value(""));
  EXPECT_EQ(b.at("input"), json::value(nullptr));
}

TEST(AuditEntry, LineSplitsBackIntoCanonicalAndHash) {
  AuditEntry e = test::sample_entry(2);
  e.id = "11111111-2222-4333-8444-555555555555";
  e.timestamp = "2026-11-26T14:05:14.123Z";
  e.trace_id = std::string(32, 'c');
  std::string canonical = canonical_from_prefix(canonical_prefix(e), kGenesisHash);
  ChainHasher hasher;
  std::string hash = hasher.link(kGenesisHash, canonical);
  std::string line = line_with_hash(canonical, hash);
  auto split = split_entry_line(line);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->canonical, canonical);
  EXPECT_EQ(split->hash, hash);
  EXPECT_EQ(json::parse(line).at("hash"), json::value(hash));
  EXPECT_FALSE(split_entry_line(canonical));
  EXPECT_FALSE(split_entry_line(line.substr(0, line.size() - 1)));
}

TEST(AuditEntry, HashIsSha256OverPrevNewlineCanonical) {
  // Reference values from: printf '%s\n%s' 000...0 '{}' | sha256sum / openssl dgst -sha256 -hmac KEY
  ChainHasher plain;
  EXPECT_EQ(plain.link(kGenesisHash, "{}"), "5649d09ed68c17156095d175eef152856c5b1a81c117c409c1e00f096aa6838e");
  EXPECT_EQ(plain.link(kGenesisHash, "{}"), sha256_hex(std::string(kGenesisHash) + "\n{}"));
  ChainHasher keyed(std::string("0123456789abcdef"));
  EXPECT_TRUE(keyed.keyed());
  EXPECT_EQ(keyed.link(kGenesisHash, "{}"), "3fa661212b2af3593da27002dc3e8c99f8eabad761c4ebbf67b6e5bc30829637");
}

}  // namespace
}  // namespace toolgate
