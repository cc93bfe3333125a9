// Trying toolgate from a shell, through the full policy pipeline (an in-process LocalSession:
// identity from TOOLGATE_TOKEN, scopes, rate limits, consent, audit), with output for people:
//   toolgate tools [--config FILE] [--json]                 the tools this caller may use
//   toolgate call TOOL [--args JSON] [--config FILE] [--yes] [--json]
//                                                           run one tool, print its result
//   toolgate connect [--config FILE] [--key-file FILE]     how to connect Claude Code, Cursor, VS Code
// Exit status: 0 success, 1 the call failed or was refused, 2 usage or configuration error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace toolgate {

int run_tools_command(const std::vector<std::string>& args);
int run_call_command(const std::vector<std::string>& args);
int run_connect_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The connection instructions `connect` prints (and scripts/run shows on start): exact commands
// for Claude Code and the .cursor/mcp.json and .vscode/mcp.json entries. `key` may be empty
// (a placeholder is shown); `token_env` is the variable the server reads the key from.
std::string connection_help(const std::string& binary, const std::string& policy_file, const std::string& key,
                            const std::string& token_env);

}  // namespace toolgate
