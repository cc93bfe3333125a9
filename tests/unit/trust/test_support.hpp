// Helpers shared by the trust unit tests: a valid manifest document to vary, temporary
// directories, and file helpers. Header-only; each test owns its own values.
#pragma once

#include <boost/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace toolgate::trust_test {

namespace json = boost::json;

inline const char* kSha = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";

inline json::object tool_doc(const std::string& name, const std::string& scope = "demo.read") {
  return json::object{
      {"name", name},
      {"description", "Looks " + name + " up."},
      {"inputSchema", json::object{{"type", "object"}, {"properties", json::object{{"q", json::object{{"type", "string"}}}}}}},
      {"scope", scope},
      {"annotations", json::object{{"readOnlyHint", true}, {"destructiveHint", false}}}};
}

inline json::object manifest_doc(const std::string& name = "demo", const std::string& version = "1.0.0") {
  return json::object{{"manifestVersion", 1},
                      {"name", name},
                      {"version", version},
                      {"library", "lib" + name + ".so"},
                      {"sha256", kSha},
                      {"abi", json::object{{"major", 1}, {"minor", 0}}},
                      {"tools", json::array{tool_doc("lookup")}}};
}

inline json::object& first_tool(json::object& m) { return m["tools"].as_array()[0].as_object(); }

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "toolgate-trust-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace toolgate::trust_test
