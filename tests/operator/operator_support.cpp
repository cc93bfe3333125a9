#include "operator_support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace toolgate::testing {

namespace json = boost::json;

void wait_for_stderr(McpProcess& p, const std::string& needle, std::chrono::milliseconds timeout) {
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) throw std::runtime_error("inotify_init1 failed");
  ::inotify_add_watch(fd, p.stderr_path().c_str(), IN_MODIFY | IN_CLOSE_WRITE);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Checked after the watch is in place, so a write between check and wait still wakes us.
  while (p.stderr_text().find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::close(fd);
      throw std::runtime_error("stderr never said \"" + needle + "\"; stderr:\n" + p.stderr_text());
    }
    pollfd pfd{fd, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
  }
  ::close(fd);
}

bool saw_notification(McpProcess& p, const std::string& method) {
  for (const auto& m : p.others())
    if (m.is_object() && m.as_object().if_contains("method") && m.at("method") == method.c_str()) return true;
  return false;
}

void wait_for_notification(McpProcess& p, const std::string& method, std::chrono::milliseconds timeout) {
  auto& kept = p.others();
  for (auto it = kept.begin(); it != kept.end(); ++it)
    if (it->is_object() && it->as_object().if_contains("method") && it->at("method") == method.c_str()) {
      kept.erase(it);
      return;
    }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto msg = left.count() > 0 ? p.read(left) : std::nullopt;
    if (!msg) throw std::runtime_error("no " + method + " notification in time; stderr:\n" + p.stderr_text());
    if (msg->is_object() && msg->as_object().if_contains("method") && msg->at("method") == method.c_str()) return;
    kept.push_back(*msg);
  }
}

std::vector<std::string> tool_names(McpProcess& p) {
  json::value r = p.request("tools/list");
  std::vector<std::string> names;
  for (const auto& t : r.at("result").at("tools").as_array()) names.emplace_back(t.at("name").as_string());
  return names;
}

std::string first_text(const json::object& result) {
  for (const auto& c : result.at("content").as_array())
    if (c.at("type") == "text") return std::string(c.at("text").as_string());
  return "";
}

void write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = std::filesystem::path(path).parent_path() / ("." + std::filesystem::path(path).filename().string() + ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
  }
  std::filesystem::rename(tmp, path);
}

namespace {
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}
}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          const std::string& stdin_text) {
  // stdout and stderr go to files, so neither pipe can fill while we wait on the other.
  char out_tmpl[] = "/tmp/toolgate-cmd-out-XXXXXX";
  char err_tmpl[] = "/tmp/toolgate-cmd-err-XXXXXX";
  char in_tmpl[] = "/tmp/toolgate-cmd-in-XXXXXX";
  int out_fd = ::mkstemp(out_tmpl), err_fd = ::mkstemp(err_tmpl), in_fd = ::mkstemp(in_tmpl);
  if (::write(in_fd, stdin_text.data(), stdin_text.size()) != static_cast<ssize_t>(stdin_text.size()))
    throw std::runtime_error("cannot write stdin file");
  ::lseek(in_fd, 0, SEEK_SET);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  std::vector<std::string> env_strings{"PATH=/usr/bin:/bin"};
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  // Bounded wait: a hung command is killed and fails the test instead of hanging it.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd pfd{pidfd, POLLIN, 0};
    if (::poll(&pfd, 1, 60'000) == 0) ::kill(pid, SIGKILL);
    ::close(pidfd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::lseek(out_fd, 0, SEEK_SET);
  ::lseek(err_fd, 0, SEEK_SET);
  r.out = drain(out_fd);
  r.err = drain(err_fd);
  for (int fd : {out_fd, err_fd, in_fd}) ::close(fd);
  for (const char* f : {out_tmpl, err_tmpl, in_tmpl}) ::unlink(f);
  return r;
}

}  // namespace toolgate::testing
