#include "mcp_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace toolgate::testing {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string toolgate_binary() { return TOOLGATE_BINARY; }
std::string staged_plugin_dir() { return TOOLGATE_PLUGIN_DIR; }
std::string fixture_plugin_dir() { return TOOLGATE_FIXTURE_DIR; }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "toolgate-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void copy_plugin(const std::string& from, const std::string& to, const std::string& manifest_name) {
  std::string manifest = from + "/" + manifest_name + ".json";
  json::value m = json::parse(read_text(manifest));
  std::string lib(m.at("library").as_string());
  fs::copy_file(from + "/" + lib, to + "/" + lib, fs::copy_options::overwrite_existing);
  fs::copy_file(manifest, to + "/" + manifest_name + ".json", fs::copy_options::overwrite_existing);
}

McpProcess::McpProcess(const Options& options) {
  // A server that died must fail the test with a message, not kill the test binary.
  ::signal(SIGPIPE, SIG_IGN);
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  char tmpl[] = "/tmp/toolgate-stderr-XXXXXX";
  int err_fd = ::mkstemp(tmpl);
  stderr_file_ = tmpl;

  std::vector<std::string> env_strings;
  if (options.inherit_env)
    for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  else
    env_strings.push_back("PATH=/usr/bin:/bin");
  for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string binary = options.binary.empty() ? toolgate_binary() : options.binary;
  std::vector<std::string> args_copy = options.args;
  std::vector<char*> argv{binary.data()};
  for (auto& a : args_copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_fd, 2);
    ::execve(binary.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_fd);
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
}

McpProcess::~McpProcess() {
  if (in_fd_ >= 0) ::close(in_fd_);
  if (!exit_status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  ::unlink(stderr_file_.c_str());
}

void McpProcess::send_raw(const std::string& bytes) {
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left) {
    ssize_t n = ::write(in_fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("write to toolgate failed: ") + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void McpProcess::send(const std::string& line) { send_raw(line + "\n"); }

bool McpProcess::fill(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{out_fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(left.count()));
  if (r <= 0) return false;
  char buf[65536];
  ssize_t n = ::read(out_fd_, buf, sizeof buf);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<json::value> McpProcess::read(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      try {
        return json::parse(line);
      } catch (const std::exception& e) {
        throw std::runtime_error("toolgate wrote a line that is not JSON: " + line);
      }
    }
    if (!fill(deadline)) return std::nullopt;
  }
}

json::value McpProcess::await_response(const json::value& id, std::chrono::milliseconds timeout) {
  for (auto it = others_.begin(); it != others_.end(); ++it) {
    if (it->is_object() && it->as_object().contains("id") && it->as_object().at("id") == id &&
        !it->as_object().contains("method")) {
      json::value v = *it;
      others_.erase(it);
      return v;
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto msg = read(left.count() > 0 ? left : 0ms);
    if (!msg) throw std::runtime_error("no response with id " + json::serialize(id) + " in time; stderr:\n" + stderr_text());
    if (msg->is_object() && msg->as_object().contains("id") && msg->as_object().at("id") == id &&
        !msg->as_object().contains("method"))
      return *msg;
    others_.push_back(*msg);
  }
}

json::value McpProcess::request(const std::string& method, json::object params, std::chrono::milliseconds timeout) {
  json::value id = next_id_++;
  send_json(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
  return await_response(id, timeout);
}

void McpProcess::notify(const std::string& method, json::object params) {
  send_json(json::object{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
}

json::value McpProcess::initialize(const std::string& version, json::object capabilities) {
  json::value r = request("initialize", {{"protocolVersion", version},
                                         {"capabilities", std::move(capabilities)},
                                         {"clientInfo", {{"name", "toolgate-tests"}, {"version", "1.0"}}}});
  notify("notifications/initialized");
  return r;
}

json::object McpProcess::call_tool(const std::string& name, json::object args) {
  json::value r = request("tools/call", {{"name", name}, {"arguments", std::move(args)}});
  if (!r.as_object().contains("result")) throw std::runtime_error("tools/call failed: " + json::serialize(r));
  return r.as_object().at("result").as_object();
}

void McpProcess::close_stdin() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

void McpProcess::close_stdout_for_test() {
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
}

std::optional<int> McpProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Bounded polling of waitpid: the process's own shutdown is what we wait for, not a sleep.
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_status_;
    }
    ::usleep(2000);
  }
  return std::nullopt;
}

void McpProcess::signal(int sig) { ::kill(pid_, sig); }

std::string McpProcess::stderr_text() const { return read_text(stderr_file_); }

bool McpProcess::await_log(const std::string& text, std::chrono::milliseconds timeout) {
  auto seen = [&] {
    for (const auto& m : others_) {
      const auto& o = m.as_object();
      if (o.contains("method") && o.at("method") == "notifications/message" &&
          o.at("params").as_object().at("data") == text.c_str())
        return true;
    }
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!seen()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    auto m = read(left);
    if (!m) return false;
    others_.push_back(*m);
  }
  return true;
}

bool McpProcess::await_stderr(const std::string& needle, std::size_t count, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string text = stderr_text();
    std::size_t seen = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++seen;
    if (seen >= count) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // The server writes stderr to a file; re-check shortly (bounded by the deadline above).
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool McpProcess::reload_by_sighup(std::chrono::milliseconds timeout) {
  static const std::string done = "policy reloaded (SIGHUP)";
  std::string text = stderr_text();
  std::size_t before = 0;
  for (auto at = text.find(done); at != std::string::npos; at = text.find(done, at + done.size())) ++before;
  signal(SIGHUP);
  return await_stderr(done, before + 1, timeout);
}

}  // namespace toolgate::testing
