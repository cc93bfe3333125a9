#include "audit/audit_entry.hpp"

#include "audit/json_line.hpp"
#include "util/digest.hpp"

#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <cstdio>
#include <ctime>

namespace toolgate {

std::string_view outcome_name(AuditOutcome o) { return kAuditOutcomeNames[static_cast<std::size_t>(o)]; }

std::optional<AuditOutcome> parse_outcome(std::string_view name) {
  for (std::size_t i = 0; i < kAuditOutcomeNames.size(); ++i)
    if (kAuditOutcomeNames[i] == name) return static_cast<AuditOutcome>(i);
  return std::nullopt;
}

std::string format_audit_timestamp(std::chrono::system_clock::time_point t) {
  char buf[kAuditTimestampSize];
  put_audit_timestamp(buf, t);
  return std::string(buf, sizeof buf);
}

void put_audit_timestamp(char (&out)[kAuditTimestampSize], std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {  // before 1970: keep the fraction positive
    millis += 1000;
    --secs;
  }
  // Entries come many per second: the date and time up to the second are formatted once per
  // second per thread, and only the milliseconds each time.
  thread_local std::time_t cached_secs = -1;
  thread_local char cached[64];  // room for any int, so the compiler can see nothing is cut
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  std::memcpy(out, cached, 20);  // "YYYY-MM-DDTHH:MM:SS."
  out[20] = static_cast<char>('0' + millis / 100);
  out[21] = static_cast<char>('0' + millis / 10 % 10);
  out[22] = static_cast<char>('0' + millis % 10);
  out[23] = 'Z';
}

namespace {

bool read_digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || std::toupper(static_cast<unsigned char>(s[pos])) != c) return false;
  ++pos;
  return true;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_audit_time(std::string_view s) {
  std::size_t p = 0;
  int y, mo, d, h, mi, se;
  if (!read_digits(s, p, 4, y) || !expect(s, p, '-') || !read_digits(s, p, 2, mo) || !expect(s, p, '-') ||
      !read_digits(s, p, 2, d) || !expect(s, p, 'T') || !read_digits(s, p, 2, h) || !expect(s, p, ':') ||
      !read_digits(s, p, 2, mi) || !expect(s, p, ':') || !read_digits(s, p, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  long long nanos = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    std::size_t digits = 0;
    long long scale = 100000000;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      nanos += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  long offset_secs = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh, om;
    if (!read_digits(s, p, 2, oh) || !expect(s, p, ':') || !read_digits(s, p, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_secs = sign * (oh * 3600L + om * 60L);
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  std::time_t t = timegm(&tm);
  auto tp = std::chrono::system_clock::from_time_t(t - offset_secs);
  return tp + std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(nanos));
}

std::optional<std::string> trace_id_from_traceparent(std::string_view tp) {
  // version "-" trace-id "-" parent-id "-" flags; later versions may append "-..." fields.
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  std::string_view version = tp.substr(0, 2), trace = tp.substr(3, 32), parent = tp.substr(36, 16),
                   flags = tp.substr(53, 2);
  if (!is_lower_hex(version) || !is_lower_hex(trace) || !is_lower_hex(parent) || !is_lower_hex(flags))
    return std::nullopt;
  if (version == "ff") return std::nullopt;
  if (version == "00" && tp.size() != 55) return std::nullopt;
  if (tp.size() > 55 && tp[55] != '-') return std::nullopt;
  if (trace.find_first_not_of('0') == std::string_view::npos) return std::nullopt;
  if (parent.find_first_not_of('0') == std::string_view::npos) return std::nullopt;
  return std::string(trace);
}

namespace {

// Ids come from OpenSSL's CSPRNG in 4 KiB gulps per thread: one RAND_bytes call (and its getpid)
// per ~128 entries instead of two per entry. A fork empties every pool in the child.
std::atomic<unsigned> g_fork_generation{0};

struct RandomPool {
  unsigned char buf[4096];
  std::size_t pos = sizeof buf;
  unsigned generation = 0;

  void take(unsigned char* out, std::size_t n) {
    static std::once_flag once;
    std::call_once(once, [] { pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); }); });
    unsigned gen = g_fork_generation.load(std::memory_order_relaxed);
    if (pos + n > sizeof buf || gen != generation) {
      if (RAND_bytes(buf, sizeof buf) != 1) throw std::runtime_error("RAND_bytes failed");
      pos = 0;
      generation = gen;
    }
    std::memcpy(out, buf + pos, n);
    std::memset(buf + pos, 0, n);
    pos += n;
  }
};

thread_local RandomPool t_pool;

// Writes 2*n lower-case hex digits to `out`.
char* put_hex(char* out, const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    *out++ = digits[p[i] >> 4];
    *out++ = digits[p[i] & 15];
  }
  return out;
}

void member(std::string& out, const char* key, std::string_view value) {
  out.push_back(',');
  out.append(key);
  append_json_string(out, value);
}

void optional_member(std::string& out, const char* key, std::string_view value) {
  if (!value.empty()) member(out, key, value);
}

}  // namespace

void put_trace_id(char (&out)[32]) {
  unsigned char b[16];
  t_pool.take(b, sizeof b);
  put_hex(out, b, sizeof b);
}

void put_audit_id(char (&out)[36]) {
  unsigned char b[16];
  t_pool.take(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char* o = out;                // 8-4-4-4-12
  o = put_hex(o, b, 4);
  *o++ = '-';
  o = put_hex(o, b + 4, 2);
  *o++ = '-';
  o = put_hex(o, b + 6, 2);
  *o++ = '-';
  o = put_hex(o, b + 8, 2);
  *o++ = '-';
  put_hex(o, b + 10, 6);
}

std::string new_trace_id() {
  char buf[32];
  put_trace_id(buf);
  return std::string(buf, sizeof buf);
}

std::string new_audit_id() {
  char buf[36];
  put_audit_id(buf);
  return std::string(buf, sizeof buf);
}

std::string canonical_prefix(const AuditEntry& e, std::size_t max_input_bytes) {
  std::string out;
  out.reserve(512);
  append_canonical_prefix(out, e, nullptr, max_input_bytes);
  return out;
}

void append_canonical_prefix(std::string& out, const AuditEntry& e, const GeneratedFields* generated,
                             std::size_t max_input_bytes) {
  auto pick = [&](const std::string& own, std::string_view GeneratedFields::*field) -> std::string_view {
    return own.empty() && generated ? generated->*field : std::string_view(own);
  };
  out.append("{\"id\":");
  append_json_string(out, pick(e.id, &GeneratedFields::id));
  member(out, "\"timestamp\":", pick(e.timestamp, &GeneratedFields::timestamp));
  member(out, "\"actor\":", e.actor);
  member(out, "\"tenant\":", e.tenant);
  member(out, "\"tool\":", e.tool);
  optional_member(out, "\"plugin\":", e.plugin);
  optional_member(out, "\"pluginVersion\":", e.plugin_version);
  out.append(",\"input\":");
  std::size_t input_at = out.size();
  append_json_value(out, e.input);
  // Bounded, so that a caller cannot push older entries out of the rotating files with a few
  // huge calls (refused ones included); the digest still ties the entry to what was sent.
  if (max_input_bytes && out.size() - input_at > max_input_bytes) {
    std::size_t bytes = out.size() - input_at;
    std::string digest = sha256_hex(std::string_view(out).substr(input_at));
    out.resize(input_at);
    out.append("{\"dev.toolgate/truncated\":{\"bytes\":").append(std::to_string(bytes));
    out.append(",\"sha256\":\"").append(digest).append("\"}}");
  }
  member(out, "\"outcome\":", outcome_name(e.outcome));
  out.append(",\"latencyMs\":");
  append_json_value(out, e.latency_ms);
  member(out, "\"errorCode\":", e.error_code);
  optional_member(out, "\"errorMessage\":", e.error_message);
  if (!e.request_id.is_null()) {
    out.append(",\"requestId\":");
    append_json_value(out, e.request_id);
  }
  member(out, "\"traceId\":", pick(e.trace_id, &GeneratedFields::trace_id));
  optional_member(out, "\"consentId\":", e.consent_id);
  optional_member(out, "\"jobId\":", e.job_id);
  optional_member(out, "\"clientName\":", e.client_name);
  optional_member(out, "\"clientVersion\":", e.client_version);
  optional_member(out, "\"policyDigest\":", e.policy_digest);
  optional_member(out, "\"manifestDigest\":", e.manifest_digest);
}

void close_canonical(std::string& text, std::string_view prev) {
  text.append(",\"prev\":\"").append(prev).append("\"}");
}

void append_hash_member(std::string& canonical, std::string_view hash) {
  canonical.pop_back();  // the closing brace
  canonical.append(",\"hash\":\"").append(hash).append("\"}");
}

std::string canonical_from_prefix(std::string_view prefix, std::string_view prev) {
  std::string out;
  out.reserve(prefix.size() + prev.size() + 12);
  out.append(prefix);
  close_canonical(out, prev);
  return out;
}

std::string line_with_hash(std::string_view canonical, std::string_view hash) {
  std::string out;
  out.reserve(canonical.size() + hash.size() + 12);
  out.append(canonical);
  append_hash_member(out, hash);
  return out;
}

}  // namespace toolgate
