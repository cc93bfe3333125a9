#include "identity/keys_command.hpp"
#include "policy/principal.hpp"

#include "identity/api_keys.hpp"
#include "identity/keys_file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <iomanip>
#include <map>

namespace toolgate {

namespace {

constexpr int kUsageError = 2;
constexpr int kFailure = 1;

const char* kUsage =
    "usage:\n"
    "  toolgate keys create --keys-file F --subject S --tenant T --scopes a,b [--expires 2027-01-01|RFC3339]\n"
    "  toolgate keys list   --keys-file F\n"
    "  toolgate keys revoke --keys-file F ID\n"
    "Instead of --keys-file F, --config POLICY uses the policy's identity.keysFile.\n";

struct Args {
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
};

int usage(std::ostream& err, const std::string& problem) {
  err << "toolgate keys: " << problem << "\n" << kUsage;
  return kUsageError;
}

// Parses "--name value" and "--name=value" for the allowed names; anything else is an error.
bool parse_args(const std::vector<std::string>& words, std::size_t from, const std::vector<std::string>& allowed,
                Args& out, std::string& problem) {
  for (std::size_t i = from; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) != 0) {
      out.positional.push_back(w);
      continue;
    }
    std::string name = w.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      inline_value = true;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      problem = "unknown option --" + name;
      return false;
    }
    if (!inline_value) {
      if (i + 1 >= words.size()) {
        problem = "--" + name + " needs a value";
        return false;
      }
      value = words[++i];
    }
    if (out.options.count(name)) {
      problem = "--" + name + " given twice";
      return false;
    }
    out.options[name] = value;
  }
  return true;
}

std::vector<std::string> split_scopes(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string item = s.substr(i, j - i);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    out.push_back(item);
    i = j + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// Loads the file for modification; a missing file is an empty one (create makes it).
std::optional<KeysFile> load_for_update(const std::string& path, bool missing_ok, std::ostream& err) {
  struct stat st {};
  if (missing_ok && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) return KeysFile{};
  JsonErrors errors;
  auto file = load_keys_file(path, errors);
  if (!file) err << "toolgate keys: " << errors.joined("\ntoolgate keys: ") << "\n";
  return file;
}

int create(const Args& a, const std::string& path, SysTime now, std::ostream& out, std::ostream& err) {
  if (!a.positional.empty()) return usage(err, "create takes no positional arguments (got " + a.positional[0] + ")");
  for (const char* required : {"subject", "tenant", "scopes"})
    if (!a.options.count(required) || a.options.at(required).empty())
      return usage(err, std::string("create needs --") + required);
  for (const char* name : {"subject", "tenant"})
    if (auto problem = principal_name_problem(a.options.at(name)))
      return usage(err, std::string("--") + name + " " + *problem);
  std::vector<std::string> scopes = split_scopes(a.options.at("scopes"));
  for (const auto& s : scopes)
    if (s.empty()) return usage(err, "--scopes must be a comma-separated list of non-empty scopes, e.g. dns.read,dns.write");
  ApiKeyRecord rec;
  if (auto it = a.options.find("expires"); it != a.options.end()) {
    auto t = parse_date_or_rfc3339(it->second);
    if (!t) return usage(err, "--expires must be a date (2027-01-01) or an RFC 3339 time (2027-01-01T12:00:00Z)");
    if (*t <= now) return usage(err, "--expires " + it->second + " is not in the future");
    rec.expires = *t;
  }
  auto file = load_for_update(path, true, err);
  if (!file) return kFailure;
  NewApiKey key = generate_api_key();
  while (file->find(key.id)) key = generate_api_key();  // 48-bit ids: a clash is rare, but possible
  rec.id = key.id;
  rec.hash = key.hash;
  rec.subject = a.options.at("subject");
  rec.tenant = a.options.at("tenant");
  rec.scopes = scopes;
  rec.created = now;
  file->keys.push_back(rec);
  std::string error;
  if (!save_keys_file(path, *file, error)) {
    err << "toolgate keys: " << error << "\n";
    return kFailure;
  }
  out << key.key << "\n"
      << "This is the only time the key is shown; store it now (only its hash is kept in " << path << ").\n"
      << "Key id " << rec.id << ": subject " << rec.subject << ", tenant " << rec.tenant << ", scopes "
      << join(rec.scopes, ",") << ", expires " << (rec.expires ? format_rfc3339(*rec.expires) : "never") << "\n";
  return 0;
}

int list(const Args& a, const std::string& path, SysTime now, std::ostream& out, std::ostream& err) {
  if (!a.positional.empty()) return usage(err, "list takes no positional arguments (got " + a.positional[0] + ")");
  JsonErrors errors;
  auto file = load_keys_file(path, errors);
  if (!file) {
    err << "toolgate keys: " << errors.joined("\ntoolgate keys: ") << "\n";
    return kFailure;
  }
  out << std::left << std::setw(14) << "ID" << std::setw(24) << "SUBJECT" << std::setw(16) << "TENANT"
      << std::setw(22) << "EXPIRES" << std::setw(10) << "STATUS" << "SCOPES\n";
  for (const auto& k : file->keys) {
    const char* status = k.disabled ? "revoked" : (k.expires && now >= *k.expires) ? "expired" : "active";
    out << std::setw(14) << k.id << std::setw(24) << k.subject << std::setw(16) << k.tenant << std::setw(22)
        << (k.expires ? format_rfc3339(*k.expires) : "never") << std::setw(10) << status << join(k.scopes, ",")
        << "\n";
  }
  return 0;
}

int revoke(const Args& a, const std::string& path, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) return usage(err, "revoke needs exactly one key ID");
  const std::string& id = a.positional[0];
  auto file = load_for_update(path, false, err);
  if (!file) return kFailure;
  ApiKeyRecord* rec = file->find(id);
  if (!rec) {
    err << "toolgate keys: no key with id " << id << " in " << path << "\n";
    return kFailure;
  }
  if (rec->disabled) {
    out << "Key " << id << " was already revoked.\n";
    return 0;
  }
  rec->disabled = true;
  std::string error;
  if (!save_keys_file(path, *file, error)) {
    err << "toolgate keys: " << error << "\n";
    return kFailure;
  }
  out << "Revoked key " << id << " (subject " << rec->subject << ", tenant " << rec->tenant
      << "); a running toolgate refuses it from its next call.\n";
  return 0;
}

}  // namespace

int run_keys_command_at(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                        const std::optional<std::string>& default_keys_file, SysTime now) {
  std::size_t i = !args.empty() && args[0] == "keys" ? 1 : 0;
  if (i >= args.size()) return usage(err, "missing subcommand (create, list or revoke)");
  const std::string sub = args[i];
  if (sub == "help" || sub == "--help" || sub == "-h") {
    out << kUsage;
    return 0;
  }
  std::vector<std::string> allowed = {"keys-file"};
  if (sub == "create") allowed.insert(allowed.end(), {"subject", "tenant", "scopes", "expires"});
  else if (sub != "list" && sub != "revoke") return usage(err, "unknown subcommand " + sub);
  Args a;
  std::string problem;
  if (!parse_args(args, i + 1, allowed, a, problem)) return usage(err, problem);
  std::string path = a.options.count("keys-file") ? a.options["keys-file"] : default_keys_file.value_or("");
  if (path.empty()) return usage(err, "--keys-file is required (or identity.keysFile in the policy given with --config)");
  if (sub == "create") return create(a, path, now, out, err);
  if (sub == "list") return list(a, path, now, out, err);
  return revoke(a, path, out, err);
}

int run_keys_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                     const std::optional<std::string>& default_keys_file) {
  return run_keys_command_at(args, out, err, default_keys_file, std::chrono::system_clock::now());
}

}  // namespace toolgate
