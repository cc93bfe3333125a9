#include "audit/audit_cli.hpp"
#include "util/terminal_text.hpp"

#include "audit/audit_entry.hpp"
#include "audit/audit_files.hpp"
#include "audit/audit_verify.hpp"
#include "audit/chain.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <optional>

namespace toolgate {

namespace json = boost::json;

namespace {

constexpr int kOk = 0, kTampered = 1, kUsage = 2;
constexpr std::size_t kMaxPrinted = 200;

const char* kUsageText =
    "usage: toolgate audit verify DIR [--hmac-key-file FILE]\n"
    "       toolgate audit tail DIR [-n N]\n"
    "       toolgate audit query DIR [--actor A] [--tenant T] [--tool NAME|PREFIX*] [--outcome O]\n"
    "                                [--since RFC3339|30s|15m|2h|7d] [--json]\n";

struct Args {
  std::string dir;
  std::map<std::string, std::string> opts;  // option -> value ("" for flags)
};

// Parses "DIR" plus options; `valued` take a value, `flags` do not. nullopt after printing why.
std::optional<Args> parse_args(const std::vector<std::string>& a, std::size_t from,
                               const std::vector<std::string>& valued, const std::vector<std::string>& flags,
                               std::ostream& err) {
  Args out;
  auto in = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  };
  for (std::size_t i = from; i < a.size(); ++i) {
    if (in(valued, a[i])) {
      if (i + 1 >= a.size()) {
        err << "audit: " << a[i] << " needs a value\n" << kUsageText;
        return std::nullopt;
      }
      out.opts[a[i]] = a[i + 1];
      ++i;
    } else if (in(flags, a[i])) {
      out.opts[a[i]] = "";
    } else if (!a[i].empty() && a[i][0] == '-') {
      err << "audit: unknown option " << a[i] << "\n" << kUsageText;
      return std::nullopt;
    } else if (out.dir.empty()) {
      out.dir = a[i];
    } else {
      err << "audit: unexpected argument " << a[i] << "\n" << kUsageText;
      return std::nullopt;
    }
  }
  if (out.dir.empty()) {
    err << "audit: missing DIR\n" << kUsageText;
    return std::nullopt;
  }
  return out;
}

std::string str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Field text for a terminal: whatever a crafted actor or tool name could use to drive it or to
// disguise itself (unsafe_character_at) becomes '?'.
std::string shown(const json::object& o, const char* key) {
  std::string s = str(o, key), out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (std::size_t n = unsafe_character_at(s, i)) {
      out.push_back('?');
      i += n;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

std::string human_line(const json::object& o) {
  std::string latency = "?";
  if (const json::value* v = o.if_contains("latencyMs"); v && v->is_number()) {
    // Entries hold integers, but a hand-edited 1.5 must not stop the listing.
    char buf[32];
    if (v->is_double())
      std::snprintf(buf, sizeof buf, "%g", v->get_double());
    else if (v->is_uint64())
      std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v->get_uint64()));
    else
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v->get_int64()));
    latency = buf;
  }
  std::string tool = shown(o, "tool");
  std::string line = shown(o, "timestamp") + "  " + shown(o, "actor") + "@" + shown(o, "tenant") + "  " +
                     (tool.empty() ? "-" : tool) + "  " + shown(o, "outcome") + "  " + latency + "ms";
  std::string code = shown(o, "errorCode");
  if (!code.empty() && code != shown(o, "outcome")) line += "  " + code;
  return line;
}

// Every entry in the given files, in order; lines that are not entries are skipped.
bool for_each_entry_in(const std::vector<AuditFileRef>& files, std::ostream& err,
                       const std::function<void(const json::object&, std::string_view)>& fn) {
  std::string error;
  for (const auto& f : files) {
    auto text = read_whole_file(f.path, error);
    if (!text) {
      err << "audit: " << error << "\n";
      return false;
    }
    std::size_t pos = 0;
    while (pos < text->size()) {
      std::size_t nl = text->find('\n', pos);
      std::size_t end = nl == std::string::npos ? text->size() : nl;
      std::string_view line(text->data() + pos, end - pos);
      pos = end + 1;
      if (!split_entry_line(line)) continue;  // a torn or foreign line is no entry to show
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (!ec && v.is_object()) fn(v.get_object(), line);
    }
  }
  return true;
}

std::optional<std::vector<AuditFileRef>> files_of(const std::string& dir, std::ostream& err) {
  std::string error;
  auto files = list_audit_files(dir, error);
  if (!files) err << "audit: " << error << "\n";
  return files;
}

std::optional<std::chrono::system_clock::time_point> parse_since(const std::string& s) {
  if (auto t = parse_audit_time(s)) return t;
  if (s.size() < 2 || s.size() > 12 || s.find_first_not_of("0123456789") != s.size() - 1) return std::nullopt;
  long long n = std::stoll(s.substr(0, s.size() - 1));
  long long unit = 0;
  switch (s.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return std::nullopt;
  }
  // An age reaching back before 1970 means every entry; computed naively it would overflow the
  // clock's nanoseconds and match none.
  auto now = std::chrono::system_clock::now();
  long long since_epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (n > since_epoch / unit) return std::chrono::system_clock::time_point{};
  return now - std::chrono::seconds(n * unit);
}

int cmd_verify(const Args& a, std::ostream& out, std::ostream& err) {
  std::optional<std::string> key;
  if (auto it = a.opts.find("--hmac-key-file"); it != a.opts.end()) {
    std::string error;
    key = load_hmac_key(it->second, error);
    if (!key) {
      err << "audit verify: " << error << "\n";
      return kUsage;
    }
  }
  VerifyReport r = verify_audit_dir(a.dir, key);
  std::size_t printed = 0;
  for (const auto& n : r.notes)
    if (printed++ < kMaxPrinted) out << "note: " << n << "\n";
  for (const auto& p : r.problems)
    if (printed++ < kMaxPrinted) out << "FAIL: " << p << "\n";
  if (printed > kMaxPrinted) out << "... " << (printed - kMaxPrinted) << " more lines not shown\n";
  if (r.unreadable) {
    err << "audit verify: cannot read everything in " << a.dir << "\n";
    return kUsage;
  }
  if (r.ok) {
    out << "OK: " << r.entries << " entries in " << r.files << " file(s) verified, chain intact\n";
    return kOk;
  }
  out << "FAILED: " << r.problems.size() << " problem(s) in " << r.entries << " entries, " << r.files
      << " file(s)\n";
  return kTampered;
}

int cmd_tail(const Args& a, std::ostream& out, std::ostream& err) {
  std::size_t n = 10;
  if (auto it = a.opts.find("-n"); it != a.opts.end()) {
    const std::string& v = it->second;
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
      err << "audit tail: -n expects a whole number, got '" << v << "'\n";
      return kUsage;
    }
    n = std::stoul(v);
  }
  auto files = files_of(a.dir, err);
  if (!files) return kUsage;
  // Newest file first, stopping once enough entries are in hand.
  std::deque<std::string> last;
  for (auto it = files->rbegin(); it != files->rend() && last.size() < n; ++it) {
    std::vector<std::string> lines;
    if (!for_each_entry_in({*it}, err, [&](const json::object& o, std::string_view) { lines.push_back(human_line(o)); }))
      return kUsage;
    for (auto l = lines.rbegin(); l != lines.rend() && last.size() < n; ++l) last.push_front(*l);
  }
  for (const auto& l : last) out << l << "\n";
  return kOk;
}

int cmd_query(const Args& a, std::ostream& out, std::ostream& err) {
  auto opt = [&a](const char* k) -> std::optional<std::string> {
    auto it = a.opts.find(k);
    return it == a.opts.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto actor = opt("--actor"), tenant = opt("--tenant"), tool = opt("--tool"), outcome = opt("--outcome");
  bool as_json = opt("--json").has_value();
  if (outcome && !parse_outcome(*outcome)) {
    std::string names;
    for (auto n : kAuditOutcomeNames) names += (names.empty() ? "" : ", ") + std::string(n);
    err << "audit query: unknown outcome '" << *outcome << "'; expected one of: " << names << "\n";
    return kUsage;
  }
  std::optional<std::chrono::system_clock::time_point> since;
  if (auto s = opt("--since")) {
    since = parse_since(*s);
    if (!since) {
      err << "audit query: --since expects an RFC 3339 time (2026-11-26T14:05:00Z) or an age like 30s, 15m, "
             "2h, 7d; got '"
          << *s << "'\n";
      return kUsage;
    }
  }
  bool tool_prefix = tool && !tool->empty() && tool->back() == '*';
  std::string tool_match = tool_prefix ? tool->substr(0, tool->size() - 1) : tool.value_or("");
  auto files = files_of(a.dir, err);
  if (!files) return kUsage;
  if (!for_each_entry_in(*files, err, [&](const json::object& o, std::string_view line) {
        if (actor && str(o, "actor") != *actor) return;
        if (tenant && str(o, "tenant") != *tenant) return;
        if (outcome && str(o, "outcome") != *outcome) return;
        if (tool) {
          std::string t = str(o, "tool");
          if (tool_prefix ? t.compare(0, tool_match.size(), tool_match) != 0 : t != tool_match) return;
        }
        if (since) {
          auto ts = parse_audit_time(str(o, "timestamp"));
          if (!ts || *ts < *since) return;
        }
        if (as_json)
          out << line << "\n";
        else
          out << human_line(o) << "\n";
      }))
    return kUsage;
  return kOk;
}

}  // namespace

int run_audit_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::size_t i = !args.empty() && args[0] == "audit" ? 1 : 0;
  if (i >= args.size() || args[i] == "--help" || args[i] == "-h" || args[i] == "help") {
    (i >= args.size() ? err : out) << kUsageText;
    return i >= args.size() ? kUsage : kOk;
  }
  const std::string& cmd = args[i];
  if (cmd == "verify") {
    auto a = parse_args(args, i + 1, {"--hmac-key-file"}, {}, err);
    return a ? cmd_verify(*a, out, err) : kUsage;
  }
  if (cmd == "tail") {
    auto a = parse_args(args, i + 1, {"-n"}, {}, err);
    return a ? cmd_tail(*a, out, err) : kUsage;
  }
  if (cmd == "query") {
    auto a = parse_args(args, i + 1, {"--actor", "--tenant", "--tool", "--outcome", "--since"}, {"--json"}, err);
    return a ? cmd_query(*a, out, err) : kUsage;
  }
  err << "audit: unknown command '" << cmd << "'\n" << kUsageText;
  return kUsage;
}

}  // namespace toolgate
