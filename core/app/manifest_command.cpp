#include "app/manifest_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "registry/json_locator.hpp"
#include "registry/lint.hpp"
#include "util/digest.hpp"
#include "util/json_reader.hpp"

namespace toolgate {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const char* kManifestUsage =
    "Usage:\n"
    "  toolgate manifest hash MANIFEST [--library PATH]\n"
    "      Writes the sha256 of the plugin library into MANIFEST (the library named by its \"library\"\n"
    "      field, beside the manifest, unless --library says otherwise), keeping the rest as written.\n"
    "  toolgate manifest lint FILE...\n"
    "      Reports schema, annotation and scope problems (errors) and description hygiene findings\n"
    "      (warnings: instructions aimed at the model, hidden text, invisible Unicode, very long\n"
    "      descriptions) as FILE:LINE:COLUMN lines. Exits 1 if there are errors, 0 otherwise.\n";

int usage(std::ostream& err, const std::string& problem) {
  err << "toolgate manifest: " << problem << "\n\n" << kManifestUsage;
  return 2;
}

int run_hash(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string manifest, library;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--library" && i + 1 < args.size()) {
      library = args[++i];
    } else if (args[i].rfind("--", 0) == 0) {
      return usage(err, "unknown or incomplete option '" + args[i] + "'");
    } else if (manifest.empty()) {
      manifest = args[i];
    } else {
      return usage(err, "hash takes one manifest");
    }
  }
  if (manifest.empty()) return usage(err, "hash needs a MANIFEST");
  JsonErrors errors;
  auto text = read_file(manifest, errors);
  auto doc = text ? parse_json_text(*text, manifest, errors) : std::nullopt;
  if (doc && !doc->is_object()) errors.add(manifest, "expected a JSON object");
  if (!errors.empty()) {
    err << "toolgate manifest hash: " << errors.joined("\n  ") << "\n";
    return 1;
  }
  const json::object& m = doc->get_object();
  const json::value* named = m.if_contains("library");
  std::string named_library = named && named->is_string() ? std::string(named->get_string()) : "";
  if (library.empty()) {
    if (named_library.empty()) {
      err << "toolgate manifest hash: " << manifest << ": no \"library\" field; pass --library PATH\n";
      return 1;
    }
    library = (fs::path(manifest).parent_path() / named_library).string();
  }
  auto digest = sha256_file_hex(library);
  if (!digest) {
    err << "toolgate manifest hash: cannot read library " << library << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::string file_name = fs::path(library).filename().string();
  const json::value* old = m.if_contains("sha256");
  if (old && old->is_string() && old->get_string() == *digest && file_name == named_library) {
    out << manifest << ": sha256 already matches " << library << "\n";
    return 0;
  }
  std::optional<std::string> edited = *text;
  if (file_name != named_library)
    edited = set_top_level_member(*edited, "library", json::serialize(json::value(file_name)), "name");
  if (edited) edited = set_top_level_member(*edited, "sha256", "\"" + *digest + "\"", "library");
  std::string error;
  if (!edited) error = manifest + ": cannot edit the JSON text in place";
  if (!edited || !write_file_atomically(manifest, *edited, error)) {
    err << "toolgate manifest hash: " << error << "\n";
    return 1;
  }
  out << manifest << ": sha256 " << *digest << " (" << library << ")"
      << (file_name != named_library ? "; library set to " + file_name : std::string()) << "\n";
  if (m.contains("signature"))
    err << "toolgate manifest hash: note: " << manifest
        << " was signed; the signature no longer matches. Re-sign it: toolgate plugin sign --key KEY " << manifest
        << "\n";
  return 0;
}

int run_lint(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  if (files.empty()) return usage(err, "lint needs at least one FILE");
  std::size_t errors = 0, warnings = 0;
  for (const auto& file : files) {
    if (file.rfind("--", 0) == 0) return usage(err, "unknown option '" + file + "'");
    JsonErrors read_errors;
    auto text = read_file(file, read_errors);
    if (!text) {
      out << file << ":1:1: error: " << read_errors.joined() << "\n";
      ++errors;
      continue;
    }
    for (const auto& f : lint_manifest(*text)) {
      out << format_finding(file, f) << "\n";
      (f.severity == LintFinding::Severity::Error ? errors : warnings)++;
    }
  }
  out << errors << " error(s), " << warnings << " warning(s) in " << files.size() << " file(s)\n";
  return errors ? 1 : 0;
}

}  // namespace

bool write_file_atomically(const std::string& path, const std::string& text, std::string& error) {
  struct stat st {};
  mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) {
      error = "cannot write " + tmp + ": " + std::strerror(errno);
      std::error_code ec;
      fs::remove(tmp, ec);
      return false;
    }
  }
  ::chmod(tmp.c_str(), mode);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot replace " + path + ": " + std::strerror(errno);
    std::error_code ec;
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

int run_manifest_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kManifestUsage;
    return args.empty() ? 2 : 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "hash") return run_hash(rest, out, err);
  if (args[0] == "lint") return run_lint(rest, out, err);
  return usage(err, "unknown subcommand '" + args[0] + "'");
}

}  // namespace toolgate
