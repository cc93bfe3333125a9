#include "identity/keys_file.hpp"
#include "policy/principal.hpp"

#include "identity/api_keys.hpp"
#include "util/digest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

namespace toolgate {

namespace json = boost::json;

ApiKeyRecord* KeysFile::find(const std::string& id) {
  for (auto& k : keys)
    if (k.id == id) return &k;
  return nullptr;
}

const ApiKeyRecord* KeysFile::find(const std::string& id) const {
  for (const auto& k : keys)
    if (k.id == id) return &k;
  return nullptr;
}

namespace {

std::optional<SysTime> read_time(JsonObjectReader& r, const std::string& key) {
  auto s = r.string(key);
  if (!s) return std::nullopt;
  auto t = parse_rfc3339(*s);
  if (!t) r.errors().add(r.child_path(key), "expected an RFC 3339 timestamp like 2027-01-01T00:00:00Z");
  return t;
}

// A subject or tenant: present, not empty, no control characters (principal_name_problem).
std::optional<std::string> read_name(JsonObjectReader& r, const std::string& key) {
  auto s = r.string(key, true);
  if (s && s->empty()) {
    r.errors().add(r.child_path(key), "must not be empty");
    return std::nullopt;
  }
  if (auto problem = s ? principal_name_problem(*s) : std::nullopt) {
    r.errors().add(r.child_path(key), *problem);
    return std::nullopt;
  }
  return s;
}

ApiKeyRecord read_record(JsonObjectReader& r) {
  ApiKeyRecord k;
  if (auto id = r.string("id", true)) {
    if (is_api_key_id(*id))
      k.id = *id;
    else
      r.errors().add(r.child_path("id"), "expected 12 lower-case hex characters");
  }
  if (auto hash = r.string("hash", true)) {
    if (is_api_key_hash(*hash))
      k.hash = *hash;
    else
      r.errors().add(r.child_path("hash"), "expected \"sha256:\" followed by 64 lower-case hex characters");
  }
  k.subject = read_name(r, "subject").value_or("");
  k.tenant = read_name(r, "tenant").value_or("");
  k.scopes = r.string_array("scopes", true).value_or(std::vector<std::string>{});
  k.created = read_time(r, "created");
  k.expires = read_time(r, "expires");
  k.disabled = r.boolean_or("disabled", false);
  r.finish();
  return k;
}

}  // namespace

std::optional<KeysFile> parse_keys_file(const std::string& text, JsonErrors& errors) {
  auto doc = parse_json_text(text, "$", errors);
  if (!doc) return std::nullopt;
  if (!doc->is_object()) {
    errors.add("$", "expected an object like {\"version\": 1, \"keys\": []}");
    return std::nullopt;
  }
  std::size_t before = errors.items().size();
  JsonObjectReader root(&doc->get_object(), "$", errors);
  root.integer("version", 1, 1, true);
  KeysFile file;
  std::map<std::string, std::size_t> first_index;
  if (const json::array* arr = root.array("keys", true)) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      std::string path = "$.keys[" + std::to_string(i) + "]";
      if (!(*arr)[i].is_object()) {
        errors.add(path, "expected an object");
        continue;
      }
      JsonObjectReader r(&(*arr)[i].get_object(), path, errors);
      ApiKeyRecord k = read_record(r);
      if (!k.id.empty()) {
        auto [it, inserted] = first_index.emplace(k.id, i);
        if (!inserted)
          errors.add(path + ".id", "duplicate id \"" + k.id + "\" (also at $.keys[" + std::to_string(it->second) + "])");
      }
      file.keys.push_back(std::move(k));
    }
  }
  root.finish();
  if (errors.items().size() != before) return std::nullopt;
  return file;
}

std::optional<KeysFile> load_keys_file(const std::string& path, JsonErrors& errors) {
  const std::string prefix = "keys file " + path;
  JsonErrors local;
  auto text = read_file(path, local);
  if (!text) {
    // read_file says "<path>: cannot read file: <reason>"; keep the reason, name the file once.
    const std::string& item = local.items().front();
    errors.add(prefix, item.size() > path.size() + 2 ? item.substr(path.size() + 2) : item);
    return std::nullopt;
  }
  auto file = parse_keys_file(*text, local);
  for (const auto& item : local.items()) errors.add(prefix, item);
  return file;
}

std::string serialize_keys_file(const KeysFile& file) {
  // One key per line: diffable and readable, while every value still goes through the JSON
  // serializer so escaping is never hand-rolled.
  std::string out = "{\n  \"version\": 1,\n  \"keys\": [";
  for (std::size_t i = 0; i < file.keys.size(); ++i) {
    const ApiKeyRecord& k = file.keys[i];
    json::object o;
    o["id"] = k.id;
    o["hash"] = k.hash;
    o["subject"] = k.subject;
    o["tenant"] = k.tenant;
    json::array scopes;
    for (const auto& s : k.scopes) scopes.emplace_back(s);
    o["scopes"] = std::move(scopes);
    if (k.created) o["created"] = format_rfc3339(*k.created);
    if (k.expires) o["expires"] = format_rfc3339(*k.expires);
    o["disabled"] = k.disabled;
    out += (i ? ",\n    " : "\n    ") + json::serialize(o);
  }
  out += file.keys.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

bool save_keys_file(const std::string& path, const KeysFile& file, std::string& error) {
  const std::string data = serialize_keys_file(file);
  const std::string tmp = path + ".tmp-" + random_hex(6);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  auto fail = [&](const std::string& what) {
    error = what + " " + tmp + ": " + std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  };
  // The umask can only narrow 0600, but say exactly what we mean.
  if (::fchmod(fd, 0600) != 0) return fail("cannot chmod");
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot sync");
  if (::close(fd) != 0) {
    error = "cannot close " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot replace " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  // Make the rename itself durable; failure here is not worth failing the command over.
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace toolgate
