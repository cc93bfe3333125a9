// Drives the real toolgate binary over real pipes for integration tests: spawn with arguments
// and environment, write lines to its stdin, read JSON lines from its stdout with a bounded wait,
// and read everything it wrote to stderr (captured in a file). Every wait has a deadline, so a
// hung server fails the test instead of hanging it. One instance per child; not thread-safe.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace toolgate::testing {

using namespace std::chrono_literals;

// Paths baked in by CMake.
std::string toolgate_binary();
std::string staged_plugin_dir();
std::string fixture_plugin_dir();

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
// Copies a plugin (library + manifest named <name>.json) from `from` into `to`.
void copy_plugin(const std::string& from, const std::string& to, const std::string& manifest_name);

class McpProcess {
 public:
  struct Options {
    std::vector<std::string> args;                 // after the binary
    std::map<std::string, std::string> env;        // added to a minimal environment
    bool inherit_env = false;
    std::string binary;                            // empty: the toolgate of this build
  };
  explicit McpProcess(const Options& options);
  ~McpProcess();

  void send(const std::string& line);  // appends '\n'
  void send_raw(const std::string& bytes);
  void send_json(const boost::json::value& v) { send(boost::json::serialize(v)); }
  // Next message from stdout, or nullopt when the deadline passes or stdout closes.
  std::optional<boost::json::value> read(std::chrono::milliseconds timeout = 10s);
  // Reads until the response with `id`, keeping other messages for later (see `others`).
  boost::json::value await_response(const boost::json::value& id, std::chrono::milliseconds timeout = 10s);
  // Sends a request with a fresh integer id and waits for its response.
  boost::json::value request(const std::string& method, boost::json::object params = {},
                             std::chrono::milliseconds timeout = 10s);
  void notify(const std::string& method, boost::json::object params = {});
  // initialize + notifications/initialized; returns the initialize result.
  boost::json::value initialize(const std::string& version = "2025-06-18", boost::json::object capabilities = {});
  // Result of a tools/call (throws if the response is a JSON-RPC error).
  boost::json::object call_tool(const std::string& name, boost::json::object args = {});

  void close_stdin();
  // Simulates a client that stops reading: closes our read end of the server's stdout.
  void close_stdout_for_test();
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  void signal(int sig);
  std::string stderr_text() const;
  // Waits until `needle` occurs at least `count` times in stderr (re-read as it grows) or the
  // deadline passes; true when it did. For events the server reports only on stderr.
  bool await_stderr(const std::string& needle, std::size_t count = 1, std::chrono::milliseconds timeout = 10s);
  // Waits for a notifications/message whose data is `text` (a plugin's log line), keeping the
  // messages read meanwhile in others(); true when it came before the timeout.
  bool await_log(const std::string& text, std::chrono::milliseconds timeout = 10s);
  // Sends SIGHUP and waits until toolgate has finished that reload: plugins are rescanned before
  // the policy is re-read, so the policy's "policy reloaded (SIGHUP)" line marks the end of both.
  // Needs a server started with --config. Notifications are no signal here: an unchanged tool
  // set (or a client not yet initialized) gets none.
  bool reload_by_sighup(std::chrono::milliseconds timeout = 10s);
  const std::string& stderr_path() const { return stderr_file_; }
  int pid() const { return pid_; }
  // Messages read while waiting for something else (notifications, other responses).
  std::deque<boost::json::value>& others() { return others_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  int pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string stderr_file_;
  std::string buffer_;
  std::deque<boost::json::value> others_;
  std::int64_t next_id_ = 1000;
  std::optional<int> exit_status_;
};

}  // namespace toolgate::testing
