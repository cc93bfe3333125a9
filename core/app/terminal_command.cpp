#include "app/terminal_command.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "app/cli.hpp"
#include "app/local_session.hpp"
#include "app/pretty_json.hpp"
#include "transport/stdout_guard.hpp"
#include "util/json_reader.hpp"

namespace toolgate {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const char* kToolsUsage =
    "Usage: toolgate tools [--config FILE] [--json] [serve options]\n\n"
    "Lists the tools the caller (TOOLGATE_TOKEN, or the policy's anonymous principal) may call,\n"
    "with their scope, whether they only read or may destroy, and their arguments.\n"
    "--json prints the tools/list result as it goes to a client.\n";

const char* kCallUsage =
    "Usage: toolgate call TOOL [--args JSON] [--config FILE] [--yes] [--json] [serve options]\n\n"
    "Runs one tool through the same policy pipeline as a client's call (identity from\n"
    "TOOLGATE_TOKEN, scopes, rate limits, consent, audit) and prints its result: structured\n"
    "content or JSON text indented, other text as it is. A destructive tool asks for consent on\n"
    "the terminal; --yes gives it without asking. --json prints the whole CallToolResult.\n"
    "Exit status: 0 success, 1 the tool failed or the call was refused, 2 usage error.\n";

const char* kConnectUsage =
    "Usage: toolgate connect [--config FILE] [--key-file FILE]\n\n"
    "Prints how to connect Claude Code, Cursor and VS Code to this toolgate: the exact command\n"
    "and the mcp.json entries, with the key from --key-file (or a placeholder).\n";

// Our flags, taken out of args; the rest goes to the serve option parser.
struct TerminalFlags {
  std::string tool;
  std::optional<std::string> args_json;
  std::string key_file;
  bool json = false;
  bool yes = false;
  bool help = false;
  std::vector<std::string> rest;
};

TerminalFlags split_flags(const std::vector<std::string>& args, bool wants_tool) {
  TerminalFlags f;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name) {
      if (i + 1 >= args.size()) throw std::invalid_argument(std::string(name) + " needs a value");
      return args[++i];
    };
    if (a == "--args") {
      f.args_json = value("--args");
    } else if (a.rfind("--args=", 0) == 0) {
      f.args_json = a.substr(7);
    } else if (a == "--key-file") {
      f.key_file = value("--key-file");
    } else if (a == "--json") {
      f.json = true;
    } else if (a == "--yes" || a == "-y") {
      f.yes = true;
    } else if (a == "--help" || a == "-h") {
      f.help = true;
    } else if (wants_tool && f.tool.empty() && a.rfind("-", 0) != 0) {
      f.tool = a;
    } else {
      f.rest.push_back(a);
      // Options of the serve parser that take a value keep it with them.
      if (a.rfind("--", 0) == 0 && a.find('=') == std::string::npos && i + 1 < args.size() &&
          args[i + 1].rfind("-", 0) != 0)
        f.rest.push_back(args[++i]);
    }
  }
  return f;
}

// People at a terminal want warnings, not the server's start-up chatter.
CliOptions terminal_cli(const std::string& command, const std::vector<std::string>& rest) {
  CliOptions cli = parse_cli(command, rest);
  if (!cli.log_level) cli.log_level = "warn";
  return cli;
}

void write_out(int fd, const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// "text: string (required), limit: integer" from an inputSchema.
std::string describe_arguments(const json::object& schema) {
  const json::value* props = schema.if_contains("properties");
  if (!props || !props->is_object() || props->get_object().empty()) return "none";
  std::set<std::string> required;
  if (const json::value* r = schema.if_contains("required"); r && r->is_array())
    for (const auto& n : r->get_array())
      if (n.is_string()) required.insert(std::string(n.get_string()));
  std::string out;
  for (const auto& kv : props->get_object()) {
    std::string type = "any";
    if (kv.value().is_object())
      if (const json::value* t = kv.value().get_object().if_contains("type"))
        type = t->is_string() ? std::string(t->get_string()) : json::serialize(*t);
    out += (out.empty() ? "" : ", ") + std::string(kv.key()) + ": " + type +
           (required.count(std::string(kv.key())) ? " (required)" : "");
  }
  return out;
}

std::string render_tools(const json::array& tools, SessionHost& host) {
  auto table = host.registry().snapshot();
  std::ostringstream out;
  for (const auto& tv : tools) {
    const json::object& t = tv.get_object();
    std::string name(t.at("name").as_string());
    std::string kind = "read-only";
    if (const json::value* a = t.if_contains("annotations"); a && a->is_object()) {
      const json::object& ann = a->get_object();
      bool read_only = ann.if_contains("readOnlyHint") && ann.at("readOnlyHint") == true;
      bool destructive = ann.if_contains("destructiveHint") && ann.at("destructiveHint") == true;
      kind = read_only ? "read-only" : destructive ? "destructive, asks for consent" : "writes";
    } else {
      kind = "no annotations";
    }
    std::string scope;
    if (auto entry = table->find(name)) scope = host.policy().required_scope(*entry->manifest);
    out << name << "  [" << kind << (scope.empty() ? "" : "; scope " + scope) << "]\n";
    if (const json::value* d = t.if_contains("description"); d && d->is_string())
      out << "    " << one_line(std::string(d->get_string())) << "\n";
    if (const json::value* s = t.if_contains("inputSchema"); s && s->is_object())
      out << "    arguments: " << describe_arguments(s->get_object()) << "\n";
  }
  if (tools.empty()) out << "(no tools: this caller may call none, or no plugin loaded; see the warnings above)\n";
  return out.str();
}

// A tool result for people: structured content, or each content block.
std::string render_result(const json::object& result) {
  if (const json::value* s = result.if_contains("structuredContent"); s && !s->is_null())
    return pretty_json(*s) + "\n";
  std::string out;
  if (const json::value* c = result.if_contains("content"); c && c->is_array()) {
    for (const auto& block : c->get_array()) {
      if (!block.is_object()) continue;
      const json::object& b = block.get_object();
      std::string type = b.if_contains("type") && b.at("type").is_string() ? std::string(b.at("type").get_string()) : "";
      if (type == "text" && b.if_contains("text") && b.at("text").is_string()) {
        std::string text(b.at("text").get_string());
        boost::system::error_code ec;
        json::value parsed = json::parse(text, ec);
        out += (!ec && (parsed.is_object() || parsed.is_array())) ? pretty_json(parsed) + "\n" : text + "\n";
      } else if (type == "image" || type == "audio") {
        std::string mime = b.if_contains("mimeType") ? json::value_to<std::string>(b.at("mimeType")) : "?";
        std::size_t size = b.if_contains("data") && b.at("data").is_string() ? b.at("data").get_string().size() : 0;
        out += "[" + type + " " + mime + ", " + std::to_string(size) + " bytes of base64]\n";
      } else if (type == "resource_link") {
        out += "[link] " + (b.if_contains("uri") ? json::value_to<std::string>(b.at("uri")) : std::string("?")) + "\n";
      } else {
        out += pretty_json(block) + "\n";
      }
    }
  }
  return out;
}

std::string error_text(const json::object& result) {
  std::string out;
  if (const json::value* c = result.if_contains("content"); c && c->is_array())
    for (const auto& block : c->get_array())
      if (block.is_object() && block.get_object().if_contains("text") && block.at("text").is_string())
        out += (out.empty() ? "" : "\n") + std::string(block.at("text").get_string());
  return out.empty() ? json::serialize(result) : out;
}

// Consent on the terminal: a destructive tool's question is shown on stderr and answered on
// stdin (only when stdin is a terminal), or given up front with --yes.
LocalSession::Elicit consent_prompt(bool yes) {
  if (!yes && !::isatty(STDIN_FILENO)) return nullptr;  // no way to ask: the policy decides
  return [yes](const json::object& params) {
    std::string message = params.if_contains("message") && params.at("message").is_string()
                              ? std::string(params.at("message").get_string())
                              : "Allow this call?";
    if (yes) {
      std::cerr << "consent: " << message << "\nconsent: yes (--yes)\n";
      return json::object{{"action", "accept"}, {"content", json::object{{"confirm", true}}}};
    }
    std::cerr << message << "\nAllow? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    bool ok = answer == "y" || answer == "Y" || answer == "yes";
    if (!ok) return json::object{{"action", "decline"}};
    return json::object{{"action", "accept"}, {"content", json::object{{"confirm", true}}}};
  };
}

struct Started {
  int out_fd;
  std::unique_ptr<LocalSession> session;
};

// Output for the person goes to the real stdout; fd 1 becomes stderr first, so a plugin that
// prints cannot mix its text into a result someone pipes into jq.
std::optional<Started> start_session(const CliOptions& cli, LocalSession::Elicit elicit) {
  int out_fd = take_over_stdout();
  if (out_fd < 0) {
    std::cerr << "toolgate: cannot set up the output descriptor\n";
    return std::nullopt;
  }
  try {
    auto session = std::make_unique<LocalSession>(cli, std::move(elicit));
    session->initialize("toolgate-terminal");
    return Started{out_fd, std::move(session)};
  } catch (const std::exception& e) {
    std::cerr << "toolgate: " << e.what() << "\n";
    return std::nullopt;
  }
}

// Threads stuck in plugins cannot be joined: leave like serve does, after flushing.
[[noreturn]] void finish(Started& s, int status) {
  s.session->close();
  spdlog::default_logger()->flush();
  std::cerr.flush();
  std::_Exit(status);
}

}  // namespace

int run_tools_command(const std::vector<std::string>& args) {
  TerminalFlags f;
  CliOptions cli;
  try {
    f = split_flags(args, false);
    if (f.help) {
      std::cout << kToolsUsage;
      return 0;
    }
    cli = terminal_cli("tools", f.rest);
  } catch (const std::exception& e) {
    std::cerr << "toolgate tools: " << e.what() << "\n\n" << kToolsUsage;
    return 2;
  }
  auto s = start_session(cli, nullptr);
  if (!s) return 2;
  json::array tools;
  json::value cursor;
  try {
    for (;;) {
      json::object params;
      if (cursor.is_string()) params["cursor"] = cursor;
      json::object resp = s->session->request("tools/list", std::move(params), 30'000);
      if (const json::value* e = resp.if_contains("error")) {
        std::cerr << "toolgate tools: " << json::value_to<std::string>(e->at("message")) << "\n";
        finish(*s, 1);
      }
      const json::object& result = resp.at("result").as_object();
      for (const auto& t : result.at("tools").as_array()) tools.push_back(t);
      const json::value* next = result.if_contains("nextCursor");
      if (!next || !next->is_string()) break;
      cursor = *next;
    }
  } catch (const std::exception& e) {
    std::cerr << "toolgate tools: " << e.what() << "\n";
    finish(*s, 1);
  }
  write_out(s->out_fd, f.json ? pretty_json(json::object{{"tools", tools}}) + "\n"
                              : render_tools(tools, s->session->host()));
  finish(*s, 0);
}

int run_call_command(const std::vector<std::string>& args) {
  TerminalFlags f;
  CliOptions cli;
  json::object arguments;
  try {
    f = split_flags(args, true);
    if (f.help) {
      std::cout << kCallUsage;
      return 0;
    }
    if (f.tool.empty()) throw std::invalid_argument("name the tool to call (toolgate tools lists them)");
    if (f.args_json) {
      boost::system::error_code ec;
      json::value v = json::parse(*f.args_json, ec);
      if (ec) throw std::invalid_argument("--args is not valid JSON (" + ec.message() + "): " + *f.args_json);
      if (!v.is_object()) throw std::invalid_argument("--args must be a JSON object, like '{\"text\":\"hi\"}'");
      arguments = v.get_object();
    }
    cli = terminal_cli("call", f.rest);
  } catch (const std::exception& e) {
    std::cerr << "toolgate call: " << e.what() << "\n\n" << kCallUsage;
    return 2;
  }
  auto s = start_session(cli, consent_prompt(f.yes));
  if (!s) return 2;
  const auto& server_cfg = s->session->host().config();
  std::int64_t wait_ms = server_cfg.server.default_timeout_ms + server_cfg.consent.timeout_ms + 30'000;
  if (auto entry = s->session->host().registry().snapshot()->find(f.tool); entry && entry->manifest->timeout_ms > 0)
    wait_ms = entry->manifest->timeout_ms + server_cfg.consent.timeout_ms + 30'000;
  json::object resp;
  try {
    resp = s->session->request("tools/call", json::object{{"name", f.tool}, {"arguments", arguments}}, wait_ms);
  } catch (const std::exception& e) {
    std::cerr << "toolgate call: " << e.what() << "\n";
    finish(*s, 1);
  }
  if (const json::value* e = resp.if_contains("error")) {
    std::cerr << "toolgate call: " << f.tool << ": "
              << (e->is_object() && e->get_object().if_contains("message") ? json::value_to<std::string>(e->at("message"))
                                                                           : json::serialize(*e))
              << "\n";
    finish(*s, 1);
  }
  const json::object& result = resp.at("result").as_object();
  bool failed = result.if_contains("isError") && result.at("isError") == true;
  if (f.json) {
    write_out(s->out_fd, pretty_json(result) + "\n");
  } else if (failed) {
    std::cerr << "toolgate call: " << f.tool << " failed: " << error_text(result) << "\n";
  } else {
    write_out(s->out_fd, render_result(result));
  }
  finish(*s, failed ? 1 : 0);
}

namespace {
std::string indented(const std::string& text, const std::string& pad) {
  std::string out = pad;
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}
}  // namespace

std::string connection_help(const std::string& binary, const std::string& policy_file, const std::string& key,
                            const std::string& token_env) {
  const std::string shown_key = key.empty() ? "<your API key>" : key;
  json::array args{"serve"};
  if (!policy_file.empty()) {
    args.push_back("--config");
    args.push_back(json::string(policy_file));
  }
  json::object env{{token_env, shown_key}};
  std::string args_cli;
  for (const auto& a : args) args_cli += " " + std::string(a.as_string());
  json::object entry{{"command", binary}, {"args", args}, {"env", env}};
  json::object vscode_entry{{"type", "stdio"}, {"command", binary}, {"args", args}, {"env", env}};
  std::ostringstream out;
  out << "Connect a client to this toolgate (it speaks MCP over stdio; the client starts it):\n\n"
      << "  Claude Code (run in your project):\n"
      << "    claude mcp add toolgate --env " << token_env << "=" << shown_key << " -- " << binary << args_cli << "\n\n"
      << "  Cursor: add to .cursor/mcp.json (or ~/.cursor/mcp.json for every project):\n"
      << indented(pretty_json(json::object{{"mcpServers", json::object{{"toolgate", entry}}}}), "    ") << "\n\n"
      << "  VS Code: add to .vscode/mcp.json:\n"
      << indented(pretty_json(json::object{{"servers", json::object{{"toolgate", vscode_entry}}}}), "    ") << "\n\n"
      << "  From this terminal:\n"
      << "    " << token_env << "=" << shown_key << " " << binary << " tools" << (policy_file.empty() ? "" : " --config " + policy_file) << "\n"
      << "    " << token_env << "=" << shown_key << " " << binary << " call echo --args '{\"text\":\"hello\"}'"
      << (policy_file.empty() ? "" : " --config " + policy_file) << "\n";
  if (!key.empty())
    out << "\n  The key above is a secret: it grants what its scopes say to whoever holds it.\n";
  return out.str();
}

int run_connect_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  TerminalFlags f;
  CliOptions cli;
  try {
    f = split_flags(args, false);
    if (f.help) {
      out << kConnectUsage;
      return 0;
    }
    cli = parse_cli("connect", f.rest);
  } catch (const std::exception& e) {
    err << "toolgate connect: " << e.what() << "\n\n" << kConnectUsage;
    return 2;
  }
  std::string token_env = "TOOLGATE_TOKEN";
  std::string policy;
  if (!cli.config_file.empty()) {
    JsonErrors errors;
    auto config = load_config(cli.config_file, errors);
    if (!config) {
      err << "toolgate connect: " << errors.joined("\n  ") << "\n";
      return 2;
    }
    policy = config->file;
    if (auto* id = config->raw.if_contains("identity"); id && id->is_object())
      if (auto* v = id->get_object().if_contains("tokenEnv"); v && v->is_string()) token_env = v->get_string();
  }
  std::string key;
  if (!f.key_file.empty()) {
    JsonErrors errors;
    auto text = read_file(f.key_file, errors);
    if (!text) {
      err << "toolgate connect: --key-file: " << errors.joined() << "\n";
      return 2;
    }
    key = *text;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
  }
  std::error_code ec;
  std::string binary = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) binary = "toolgate";
  out << connection_help(binary, policy, key, token_env);
  return 0;
}

}  // namespace toolgate
