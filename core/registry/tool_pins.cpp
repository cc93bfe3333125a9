#include "registry/tool_pins.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "util/canonical_json.hpp"
#include "util/digest.hpp"

namespace toolgate {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const char* const kFields[] = {"name", "title", "description", "inputSchema", "outputSchema", "annotations", "scope"};

json::object pin_of(const ToolManifest& t) {
  json::object def = tool_definition(t);
  json::object fields;
  for (const char* f : kFields) fields[f] = sha256_hex(canonical_json(def.at(f)));
  return json::object{{"digest", sha256_hex(canonical_json(def))}, {"fields", std::move(fields)}};
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const json::object* child(const json::object& o, const std::string& key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

// Reads `file` into its "plugins" object. Missing file: empty, true.
bool read_pins(const std::string& file, json::object& plugins, std::string& error) {
  std::error_code exists_ec;
  if (!fs::exists(file, exists_ec) && !exists_ec) return true;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "tool definition pins file " + file + " cannot be read: " + std::strerror(errno);
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  const json::object* p = !ec && doc.is_object() ? child(doc.get_object(), "plugins") : nullptr;
  if (!p || doc.get_object().if_contains("pinsVersion") == nullptr || doc.at("pinsVersion") != 1) {
    error = "tool definition pins file " + file + " is not a toolgate pins file (" +
            (ec ? "invalid JSON: " + ec.message() : std::string("expected {\"pinsVersion\": 1, \"plugins\": {...}}")) +
            "); repair or remove it";
    return false;
  }
  plugins = *p;
  return true;
}

// Two-space indented JSON, so an operator can read the file and remove one pin by hand.
void pretty(const json::value& v, std::string& out, int indent) {
  std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      out += (first ? "\n" : ",\n") + pad + json::serialize(json::value(kv.key())) + ": ";
      pretty(kv.value(), out, indent + 2);
      first = false;
    }
    out += "\n" + std::string(static_cast<std::size_t>(indent), ' ') + "}";
  } else {
    out += json::serialize(v);
  }
}

struct LockFile {
  int fd = -1;
  ~LockFile() {
    if (fd >= 0) ::close(fd);  // releases the flock
  }
};

}  // namespace

json::object tool_definition(const ToolManifest& t) {
  auto opt = [](const auto& v) -> json::value { return v ? json::value(*v) : json::value(nullptr); };
  return json::object{{"name", t.name},
                      {"title", t.title},
                      {"description", t.description},
                      {"inputSchema", t.input_schema},
                      {"outputSchema", opt(t.output_schema)},
                      {"annotations", opt(t.annotations)},
                      {"scope", t.scope}};
}

bool ToolPins::load(std::string& error) {
  plugins_.clear();
  if (policy_.file.empty()) return true;
  return read_pins(policy_.file, plugins_, error);
}

std::string ToolDefinitionChange::text() const {
  return "tool '" + tool + "'" + (fields.empty() ? " " : ": ") + what;
}

std::vector<std::string> ToolPins::changes(const PluginManifest& m) const {
  std::vector<std::string> out;
  for (const auto& c : tool_changes(m)) out.push_back(c.text());
  return out;
}

std::vector<ToolDefinitionChange> ToolPins::tool_changes(const PluginManifest& m) const {
  std::vector<ToolDefinitionChange> out;
  const json::object* versions = child(plugins_, m.name);
  const json::object* pinned = versions ? child(*versions, m.version) : nullptr;
  const json::object* tools = pinned ? child(*pinned, "tools") : nullptr;
  if (!pinned) return out;
  static const json::object kNone;
  if (!tools) tools = &kNone;
  for (const auto& t : m.tools) {
    const json::object* old = child(*tools, t.name);
    if (!old) {
      out.push_back({t.name, "was added", {}});
      continue;
    }
    json::object now = pin_of(t);
    if (old->if_contains("digest") && old->at("digest") == now.at("digest")) continue;
    const json::object* old_fields = child(*old, "fields");
    ToolDefinitionChange change{t.name, "", {}};
    for (const char* f : kFields) {
      const json::value* was = old_fields ? old_fields->if_contains(f) : nullptr;
      if (!was || *was != now.at("fields").at(f)) change.fields.push_back(f);
    }
    // A digest that differs while every field matches (an old pin format): say "definition".
    if (change.fields.empty()) change.fields.push_back("definition");
    for (const auto& f : change.fields) change.what += (change.what.empty() ? "" : ", ") + f;
    change.what += " changed";
    out.push_back(std::move(change));
  }
  for (const auto& kv : *tools) {
    bool present = false;
    for (const auto& t : m.tools) present = present || t.name == kv.key();
    if (!present) out.push_back({std::string(kv.key()), "was removed", {}});
  }
  return out;
}

void ToolPins::pin(const PluginManifest& m) {
  const json::object* versions = child(plugins_, m.name);
  if (policy_.file.empty() || (versions && child(*versions, m.version))) return;
  json::object tools;
  for (const auto& t : m.tools) tools[t.name] = pin_of(t);
  json::object entry{{"pinnedAt", now_utc()}, {"tools", std::move(tools)}};
  for (json::object* target : {&plugins_, &added_}) {
    json::value& slot = (*target)[m.name];
    if (!slot.is_object()) slot = json::object{};
    slot.get_object()[m.version] = entry;
  }
}

bool ToolPins::save(std::string& error) {
  if (policy_.file.empty() || !policy_.record || added_.empty()) return true;
  std::error_code ec;
  fs::path file(policy_.file);
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  LockFile lock;
  lock.fd = ::open((policy_.file + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.fd < 0 || ::flock(lock.fd, LOCK_EX) != 0) {
    error = "cannot record tool definition pins in " + policy_.file + ": cannot lock " + policy_.file +
            ".lock: " + std::strerror(errno);
    return false;
  }
  // Another process may have pinned something since load(): merge, never overwrite a pin.
  json::object on_disk;
  if (!read_pins(policy_.file, on_disk, error)) return false;
  for (const auto& plugin : added_) {
    json::value& slot = on_disk[plugin.key()];
    if (!slot.is_object()) slot = json::object{};
    for (const auto& version : plugin.value().get_object())
      if (!slot.get_object().contains(version.key())) slot.get_object()[version.key()] = version.value();
  }
  std::string tmp = policy_.file + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    std::string text;
    pretty(json::object{{"pinsVersion", 1}, {"plugins", on_disk}}, text, 0);
    out << text << "\n";
    out.flush();
    if (!out) {
      error = "cannot record tool definition pins in " + policy_.file + ": cannot write " + tmp + ": " +
              std::strerror(errno);
      fs::remove(tmp, ec);
      return false;
    }
  }
  if (::rename(tmp.c_str(), policy_.file.c_str()) != 0) {
    error = "cannot record tool definition pins in " + policy_.file + ": " + std::strerror(errno);
    fs::remove(tmp, ec);
    return false;
  }
  added_.clear();
  return true;
}

}  // namespace toolgate
