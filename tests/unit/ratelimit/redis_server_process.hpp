// A throwaway redis-server for tests and the benchmark: started on a free loopback port with no
// persistence, polled with PING until it answers (bounded), and stopped by the destructor.
// start() reports problems as text (redis-server missing: run scripts/bootstrap) instead of
// throwing, so a gtest caller can FAIL() with it and the benchmark can print it.
// Not thread-safe; one object per server. Header-only so the benchmark can share it.
#pragma once

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdlib>
#include <string>
#include <thread>

namespace toolgate::testing {

// A loopback TCP port nobody listens on right now (bind to port 0, read it back, close).
inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// The redis-server binary on PATH (or Debian's), or "" when it is not installed.
inline std::string find_redis_server() {
  const char* path = std::getenv("PATH");
  std::string dirs = std::string(path ? path : "") + ":/usr/bin:/usr/sbin:/usr/local/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/redis-server";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

class RedisServerProcess {
 public:
  RedisServerProcess() = default;
  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;
  ~RedisServerProcess() { stop(); }

  // Empty string on success; otherwise what went wrong.
  std::string start() {
    const std::string binary = find_redis_server();
    if (binary.empty()) {
      return "redis-server is not installed; run scripts/bootstrap (it installs the redis-server package)";
    }
    std::string last;
    for (int attempt = 0; attempt < 3; ++attempt) {  // the free port can be taken before we bind
      port_ = free_loopback_port();
      if (port_ <= 0) return "no free loopback port";
      last = spawn(binary);
      if (last.empty()) return "";
      stop();
    }
    return last;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {  // up to 3 s for a clean exit
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // Runs one command on a fresh connection; returns the reply as text ("" on failure).
  std::string command(const char* format, ...) const {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (!c || c->err) {
      if (c) redisFree(c);
      return "";
    }
    va_list ap;
    va_start(ap, format);
    auto* r = static_cast<redisReply*>(redisvCommand(c, format, ap));
    va_end(ap);
    std::string out;
    if (r) {
      if (r->type == REDIS_REPLY_INTEGER) out = std::to_string(r->integer);
      else if (r->str) out = std::string(r->str, r->len);
      freeReplyObject(r);
    }
    redisFree(c);
    return out;
  }

 private:
  std::string spawn(const std::string& binary) {
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ < 0) return "fork failed";
    if (pid_ == 0) {
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl(binary.c_str(), binary.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Bounded poll: up to 10 s for the first PONG.
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return "redis-server exited at start-up on port " + port;
      }
      if (command("PING") == "PONG") return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "redis-server did not answer PING on port " + port + " within 10 s";
  }

  pid_t pid_ = -1;
  int port_ = -1;
};

}  // namespace toolgate::testing
