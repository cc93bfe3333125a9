#include "app/check.hpp"
#include "app/policy_tool_names.hpp"

#include "app/app_policy.hpp"
#include "app/logging.hpp"
#include "app/plugin_command.hpp"
#include "app/policy_sections.hpp"
#include "registry/host_api.hpp"
#include "registry/tool_registry.hpp"

#include <filesystem>

namespace toolgate {

int run_check(const CliOptions& cli, std::ostream& out) {
  // The report goes to `out`; what the parts log besides (a plugin unloaded) is noise here, and
  // warnings keep toolgate's own format.
  setup_stderr_logging("warn");
  int problems = 0;
  JsonErrors errors;
  auto config = effective_config(cli, errors);
  out << "policy: " << (cli.config_file.empty() ? "(none, defaults)" : cli.config_file) << "\n";
  if (!config && !cli.config_file.empty()) {
    // The areas' sections (identity, rateLimits, audit) are checked too, so one run lists every
    // problem in the file rather than the next batch after each fix.
    std::string abs = std::filesystem::absolute(cli.config_file).lexically_normal().string();
    JsonErrors unused;
    auto text = read_file(abs, unused, true);
    auto doc = text ? parse_json_text(*text, abs, unused) : std::nullopt;
    if (doc && doc->is_object()) {
      Config partial;
      partial.raw = doc->get_object();
      partial.base_dir = std::filesystem::path(abs).parent_path().string();
      JsonErrors area;
      check_area_sections(partial, area);
      for (const auto& e : area.items()) errors.add(abs, e);
    }
  }
  if (!config) {
    for (const auto& e : errors.items()) out << "  ERROR " << e << "\n";
    out << "check failed: " << errors.items().size() << " problem(s)\n";
    return 1;
  }
  out << "  ok (sha256 " << (config->digest.empty() ? "-" : config->digest.substr(0, 16)) << ")\n";

  out << "identity, rate limits, audit:\n";
  try {
    AppPolicy policy(*config, "");
    // `serve` would start with an audit trail it cannot write, then refuse every call.
    if (std::string why; !policy.audit_ready(why)) {
      out << "  ERROR " << why << " (every call would be refused: audit.failMode is \"closed\")\n";
      ++problems;
    } else {
      out << "  ok\n";
    }
  } catch (const std::exception& e) {
    // One problem per line, each prefixed with the file like the other sections' errors.
    std::string text = e.what();
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t nl = text.find('\n', start);
      std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      line.erase(0, line.find_first_not_of(' '));
      if (!line.empty()) {
        out << "  ERROR " << (config->file.empty() ? "" : config->file + ": ") << line << "\n";
        ++problems;
      }
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }

  out << "plugins: " << config->server.plugin_dir << "\n";
  JsonErrors trust_errors;
  auto registry_opts = registry_options(*config, false, trust_errors);
  if (!registry_opts) {
    for (const auto& e : trust_errors.items()) out << "  ERROR " << e << "\n";
    out << "check failed: " << problems + static_cast<int>(trust_errors.items().size()) << " problem(s)\n";
    return 1;
  }
  ToolRegistry registry(*registry_opts);
  LoadReport report = registry.reload(host_api_table());
  for (const auto& l : report.loaded) out << "  ok    " << l << "\n";
  for (const auto& e : report.errors) out << "  ERROR " << e << "\n";
  for (const auto& w : report.warnings) out << "  WARN  " << w << "\n";
  problems += static_cast<int>(report.errors.size());
  if (report.loaded.empty() && report.errors.empty()) out << "  (no plugins found)\n";
  auto table = registry.snapshot();
  for (const auto& w : unknown_policy_tools(*config, *table)) out << "  WARN  " << w << "\n";
  out << "tools: " << table->tools.size() << "\n";
  for (const auto& t : table->tools) {
    // What the server enforces: the policy's override, if any, else the manifest's scope.
    std::string scope = required_scope(*config, t->manifest->name, t->manifest->scope);
    if (scope.empty()) scope = "(none: denied)";
    out << "  " << t->manifest->name << "  scope " << scope << (t->manifest->read_only() ? "  read-only" : "")
        << (t->manifest->destructive() ? "  destructive" : "") << "\n";
  }
  if (problems) {
    out << "check failed: " << problems << " problem(s)\n";
    return 1;
  }
  out << "check passed\n";
  return 0;
}

}  // namespace toolgate
