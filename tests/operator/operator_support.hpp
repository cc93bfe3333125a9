// Helpers for operator tests: wait for a line on a running toolgate's stderr (woken by inotify
// on the captured file, never by polling on a timer) and for a notification on its stdout.
#pragma once

#include <chrono>
#include <string>

#include "mcp_process.hpp"

namespace toolgate::testing {

// Returns once stderr contains `needle`; fails (throws with stderr in the message) at `timeout`.
void wait_for_stderr(McpProcess& p, const std::string& needle, std::chrono::milliseconds timeout = 15s);

// Returns once a notification with `method` arrives (or was already read and kept aside by
// await_response); consumes it. Throws at `timeout`.
void wait_for_notification(McpProcess& p, const std::string& method, std::chrono::milliseconds timeout = 15s);

// Whether a notification with `method` was read and kept aside so far.
bool saw_notification(McpProcess& p, const std::string& method);

// Names of the tools a tools/list answers with.
std::vector<std::string> tool_names(McpProcess& p);

// The first text content of a tools/call result.
std::string first_text(const boost::json::object& result);

// Writes `text` to `path` through a temporary file and a rename: readers see all or nothing.
void write_atomically(const std::string& path, const std::string& text);

// Runs a command line through /bin/sh, capturing stdout and stderr separately.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          const std::string& stdin_text = "");

}  // namespace toolgate::testing
