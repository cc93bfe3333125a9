#include "app/plugin_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "app/manifest_command.hpp"
#include "registry/json_locator.hpp"
#include "registry/manifest.hpp"
#include "registry/signature.hpp"
#include "util/digest.hpp"

namespace toolgate {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const char* kPluginUsage =
    "Usage:\n"
    "  toolgate plugin keygen --out DIR [--name NAME]\n"
    "      Creates an Ed25519 publisher key pair: DIR/NAME.key (private, mode 0600) and DIR/NAME.pub.\n"
    "      NAME defaults to \"publisher\". Existing files are never overwritten.\n"
    "  toolgate plugin sign --key DIR/NAME.key MANIFEST [--library-dir DIR]\n"
    "      Writes a \"signature\" into MANIFEST. The manifest carries the library's sha256, so the\n"
    "      signature covers the library too; run `toolgate manifest hash` first.\n"
    "  toolgate plugin verify --trusted PUB [--trusted PUB ...] MANIFEST [--library-dir DIR]\n"
    "  toolgate plugin verify --config POLICY MANIFEST [--library-dir DIR]\n"
    "      Checks the signature against trusted public keys (key files or base64 keys, or the\n"
    "      policy's plugins.trustedPublishers) and the library's sha256, as the host would.\n";

int usage(std::ostream& err, const std::string& problem) {
  err << "toolgate plugin: " << problem << "\n\n" << kPluginUsage;
  return 2;
}

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;
};

std::optional<Args> parse_args(const std::vector<std::string>& args, const std::vector<std::string>& known,
                               std::ostream& err, int& status) {
  Args a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) != 0) {
      a.positional.push_back(args[i]);
      continue;
    }
    if (std::find(known.begin(), known.end(), args[i]) == known.end() || i + 1 >= args.size()) {
      status = usage(err, "unknown option or missing value: '" + args[i] + "'");
      return std::nullopt;
    }
    a.options[args[i]].push_back(args[i + 1]);
    ++i;
  }
  return a;
}

std::string one(const Args& a, const std::string& key) {
  auto it = a.options.find(key);
  return it == a.options.end() ? "" : it->second.back();
}

bool write_new_file(const std::string& path, const std::string& text, mode_t mode, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    error = "cannot create " + path + ": " + std::strerror(errno) + (errno == EEXIST ? " (not overwriting a key)" : "");
    return false;
  }
  bool ok = ::fchmod(fd, mode) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (!ok) error = "cannot write " + path + ": " + std::strerror(errno);
  ::close(fd);
  return ok;
}

int keygen(const Args& a, std::ostream& out, std::ostream& err) {
  std::string dir = one(a, "--out"), name = one(a, "--name");
  if (dir.empty() || !a.positional.empty()) return usage(err, "keygen needs --out DIR and nothing else");
  if (name.empty()) name = "publisher";
  if (name.find('/') != std::string::npos) return usage(err, "--name must be a plain name");
  std::error_code ec;
  if (!fs::exists(dir) && fs::create_directories(dir, ec)) fs::permissions(dir, fs::perms::owner_all, ec);
  SigningKey key = generate_signing_key();
  std::string priv = (fs::path(dir) / (name + ".key")).string(), pub = (fs::path(dir) / (name + ".pub")).string();
  std::string error;
  if (!write_new_file(priv, private_key_pem(key), 0600, error) || !write_new_file(pub, public_key_pem(key.pub), 0644, error)) {
    err << "toolgate plugin keygen: " << error << "\n";
    return 1;
  }
  out << "wrote " << priv << " (private key, mode 0600: keep it secret, sign with it)\n"
      << "wrote " << pub << " (public key: give it to operators)\n"
      << "key id: " << key.pub.key_id << "\n"
      << "trust it in a policy file:\n"
      << "  \"plugins\": {\"trustedPublishers\": [{\"name\": \"" << name << "\", \"key\": \""
      << base64_encode(key.pub.raw) << "\"}]}\n";
  return 0;
}

// The library a manifest names, in library_dir (default: beside the manifest); its sha256 or an error.
bool library_matches(const std::string& manifest_file, const std::string& library_dir, const PluginManifest& m,
                     std::string& library, std::string& problem) {
  fs::path dir = library_dir.empty() ? fs::path(manifest_file).parent_path() : fs::path(library_dir);
  library = (dir / m.library).string();
  auto digest = sha256_file_hex(library);
  if (!digest) {
    problem = "cannot read library " + library + ": " + std::strerror(errno);
    return false;
  }
  if (*digest != m.sha256) {
    problem = "library " + library + " has sha256 " + *digest + ", the manifest says " + m.sha256 +
              " (the library was replaced or modified after the manifest was written or signed)";
    return false;
  }
  return true;
}

struct ManifestFile {
  std::string text;
  json::object doc;
  PluginManifest parsed;
};

std::optional<ManifestFile> read_manifest(const std::string& file, std::ostream& err, const char* command) {
  JsonErrors errors;
  auto text = read_file(file, errors);
  auto parsed = text ? parse_manifest(*text, file, errors) : std::nullopt;
  if (!parsed) {
    err << "toolgate plugin " << command << ": " << errors.joined("\n  ") << "\n";
    return std::nullopt;
  }
  return ManifestFile{*text, json::parse(*text).as_object(), *parsed};
}

int sign(const Args& a, std::ostream& out, std::ostream& err) {
  std::string key_file = one(a, "--key");
  if (key_file.empty() || a.positional.size() != 1) return usage(err, "sign needs --key KEY and one MANIFEST");
  const std::string& file = a.positional[0];
  std::string error;
  auto key = load_signing_key(key_file, error);
  if (!key) {
    err << "toolgate plugin sign: " << error << "\n";
    return 1;
  }
  auto m = read_manifest(file, err, "sign");
  if (!m) return 1;
  if (is_placeholder_sha256(m->parsed.sha256)) {
    err << "toolgate plugin sign: " << file
        << ": the sha256 is a placeholder; sign the manifest the build wrote next to the library "
           "(toolgate_add_plugin fills it in), or run `toolgate manifest hash "
        << file << " --library PATH` first\n";
    return 1;
  }
  std::string library, problem;
  if (!library_matches(file, one(a, "--library-dir"), m->parsed, library, problem)) {
    err << "toolgate plugin sign: refusing to sign " << file << ": " << problem << "\n";
    return 1;
  }
  json::object signature = sign_manifest(m->doc, *key);
  auto edited = set_top_level_member(m->text, "signature", json::serialize(signature));
  if (!edited || !write_file_atomically(file, *edited, error)) {
    err << "toolgate plugin sign: " << (edited ? error : file + ": cannot edit the JSON text in place") << "\n";
    return 1;
  }
  out << "signed " << file << " with key " << key->pub.key_id << " (" << key_file << "); it covers " << library
      << " (sha256 " << m->parsed.sha256 << ")\n";
  return 0;
}

int verify(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) return usage(err, "verify needs one MANIFEST");
  std::vector<TrustedPublisherSpec> specs;
  auto trusted = a.options.find("--trusted");
  if (trusted != a.options.end())
    for (const auto& t : trusted->second) {
      TrustedPublisherSpec s;
      std::error_code ec;
      if (fs::is_regular_file(t, ec)) {
        s.file = fs::absolute(t).string();
        s.name = fs::path(t).stem().string();
      } else {
        s.key_base64 = t;
        s.name = "key given on the command line";
      }
      specs.push_back(s);
    }
  JsonErrors errors;
  if (std::string policy = one(a, "--config"); !policy.empty())
    if (auto config = load_config(policy, errors))
      for (const auto& s : config->plugin_trust.trusted_publishers) specs.push_back(s);
  auto trust = errors.empty() ? load_trust_policy(true, specs, errors) : std::nullopt;
  if (!trust || specs.empty()) {
    err << "toolgate plugin verify: " << (specs.empty() && errors.empty() ? "no trusted keys: pass --trusted PUB or --config POLICY" : errors.joined("\n  ")) << "\n";
    return 2;
  }
  const std::string& file = a.positional[0];
  auto m = read_manifest(file, err, "verify");
  if (!m) return 1;
  TrustVerdict v = check_manifest_trust(m->doc, *trust);
  if (!v.ok) {
    out << file << ": refused: plugin " << m->parsed.name << ": "
        << (v.is_signed ? v.reason : std::string("the manifest is not signed")) << "\n";
    return 1;
  }
  out << file << ": signature verifies: plugin " << m->parsed.name << " " << m->parsed.version
      << " signed by publisher '" << v.publisher << "'\n";
  std::string library, problem;
  if (!library_matches(file, one(a, "--library-dir"), m->parsed, library, problem)) {
    out << file << ": refused: plugin " << m->parsed.name << ": " << problem << "\n";
    return 1;
  }
  out << file << ": library " << library << " matches the signed sha256\n";
  return 0;
}

}  // namespace

int run_plugin_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kPluginUsage;
    return args.empty() ? 2 : 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  int status = 2;
  if (args[0] == "keygen") {
    auto a = parse_args(rest, {"--out", "--name"}, err, status);
    return a ? keygen(*a, out, err) : status;
  }
  if (args[0] == "sign") {
    auto a = parse_args(rest, {"--key", "--library-dir"}, err, status);
    return a ? sign(*a, out, err) : status;
  }
  if (args[0] == "verify") {
    auto a = parse_args(rest, {"--trusted", "--config", "--library-dir"}, err, status);
    return a ? verify(*a, out, err) : status;
  }
  return usage(err, "unknown subcommand '" + args[0] + "'");
}

std::optional<RegistryOptions> registry_options(const Config& config, bool record_pins, JsonErrors& errors) {
  RegistryOptions o;
  o.plugin_dir = config.server.plugin_dir;
  o.manifest_dir = config.server.manifest_dir;
  auto trust = load_trust_policy(config.plugin_trust.require_signed, config.plugin_trust.trusted_publishers, errors);
  if (!trust) return std::nullopt;
  o.trust = *trust;
  o.pins.file = config.plugin_trust.pins_file;
  o.pins.refuse_changes = config.plugin_trust.refuse_definition_changes;
  o.pins.record = record_pins;
  o.configs = config.plugin_trust.plugin_configs;
  o.init_timeout = std::chrono::milliseconds(config.plugin_trust.init_timeout_ms);
  return o;
}

}  // namespace toolgate
