// mcp_bench_driver: one MCP stdio client that benchmarks any server exposing an `echo` tool.
//
// The same binary drives toolgate and the TypeScript reference server, so client cost is equal
// on both sides and the ratio measures the servers. It keeps its own work small on purpose
// (requests are pre-built, responses are scanned rather than parsed into a DOM), because on a
// 2-core machine every client cycle is taken from the server being measured.
//
//   mcp_bench_driver [--name N] [--calls N] [--latency-calls M] [--warmup W] [--payload-bytes B]
//                    [--timeout-ms T] [--spin-us U] [--protocol-version V] [--env K=V]...
//                    [--stderr FILE]
//                    -- <server command> [args...]
//
// Prints `RESULT name=... throughput=... p50_us=... p99_us=... server_cpu_us=...` on stdout
// (server_cpu_us: the server's CPU time per pipelined call). Exits non-zero if any
// response is missing, duplicated, malformed or does not echo its text, or on a stall.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "reply_scanner.hpp"

extern char** environ;

namespace {

using bench::Reply;
using bench::Scanner;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string name;
  long calls = 20000;
  long latency_calls = 2000;
  long warmup = 2000;
  size_t payload_bytes = 32;
  int timeout_ms = 10000;
  long spin_us = 0;  // sequential phase: busy-wait this long before sleeping (0: never spin)
  std::string protocol_version = "2025-06-18";
  std::vector<std::string> env;  // KEY=VALUE, override the inherited environment
  std::string stderr_path;       // empty: the server shares our stderr
  std::vector<std::string> command;
};

pid_t g_child = -1;  // killed on any fatal error so a failed run never leaves a server behind

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "mcp_bench_driver: error: %s\n", msg.c_str());
  if (g_child > 0) ::kill(g_child, SIGKILL);
  std::fflush(nullptr);
  std::_Exit(2);  // safe from any thread, unlike exit()
}

// ---- Pipes to the server --------------------------------------------------------------------
struct Child {
  pid_t pid = -1;
  int to = -1;    // server's stdin
  int from = -1;  // server's stdout
};

Child spawn(const Options& o) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) die("pipe2 failed");
  // Build argv/envp before fork: the child may only call async-signal-safe functions.
  std::vector<char*> argv;
  for (auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    bool overridden = std::any_of(o.env.begin(), o.env.end(), [&](const std::string& ov) {
      return kv.substr(0, kv.find('=') + 1) == std::string_view(ov).substr(0, ov.find('=') + 1);
    });
    if (!overridden) env_store.emplace_back(kv);
  }
  env_store.insert(env_store.end(), o.env.begin(), o.env.end());
  std::vector<char*> envp;
  for (auto& kv : env_store) envp.push_back(kv.data());
  envp.push_back(nullptr);
  int err_fd = 2;
  if (!o.stderr_path.empty()) {
    err_fd = ::open(o.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) die("cannot open " + o.stderr_path + ": " + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    if (err_fd != 2) ::dup2(err_fd, 2);
    ::execvpe(argv[0], argv.data(), envp.data());
    const char msg[] = "mcp_bench_driver: exec of the server command failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  if (err_fd != 2) ::close(err_fd);
  // Writes block: one write() of the whole batch keeps the copying inside the kernel instead of
  // a write/poll ping-pong. A server that stops reading is still caught, by the reader's timeout
  // (every write we make is followed by waiting for its response). Reads do not block, so the
  // reader can try read() first and poll only when the pipe is empty.
  ::fcntl(out[0], F_SETFL, ::fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return {pid, in[1], out[0]};
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) data.remove_prefix(size_t(n));
    else if (errno != EINTR) die(std::string("writing to server: ") + std::strerror(errno));
  }
}

// Newline-delimited reader. A returned view stays valid until the next call.
class LineReader {
 public:
  LineReader(int fd, int timeout_ms) : fd_(fd), timeout_ms_(timeout_ms), buf_(1 << 20) {}

  // Empty optional-like result: returns false on timeout or EOF, with the reason in `why`.
  bool next(std::string_view* line, std::string* why) {
    for (;;) {
      if (void* nl = std::memchr(buf_.data() + scan_, '\n', end_ - scan_)) {
        size_t pos = static_cast<char*>(nl) - buf_.data();
        std::string_view l(buf_.data() + start_, pos - start_);
        start_ = scan_ = pos + 1;
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.empty()) continue;
        *line = l;
        return true;
      }
      scan_ = end_;
      if (start_ > 0) {  // compact, then grow only if one line fills the whole buffer
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_, scan_ -= start_, start_ = 0;
      }
      if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
      // Read first and poll only when the pipe is empty: under load that halves the syscalls,
      // which on a VM cost more than everything else the driver does.
      ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (n > 0) { end_ += size_t(n); continue; }
      if (n == 0) { *why = "server closed its stdout (exited?)"; return false; }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) { *why = std::string("reading from server: ") + std::strerror(errno); return false; }
      if (spin_ && spin_until(Clock::now() + spin_us_)) continue;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms_) == 0) {
        *why = "no response within " + std::to_string(timeout_ms_) + " ms";
        return false;
      }
    }
  }

  // Busy-wait (up to --spin-us) instead of sleeping in poll: takes the driver's own wake-up
  // out of the measured round trip. Only for the sequential phase; spinning while the server
  // needs both cores would measure the driver instead.
  void set_spin(bool on) { spin_ = on && spin_us_.count() > 0; }
  void set_spin_us(long us) { spin_us_ = std::chrono::microseconds(us); }

 private:
  int fd_, timeout_ms_;
  std::vector<char> buf_;
  size_t start_ = 0, scan_ = 0, end_ = 0;
  bool spin_ = false;
  std::chrono::microseconds spin_us_{0};

  bool spin_until(Clock::time_point until) {  // true once data is readable
    pollfd p{fd_, POLLIN, 0};
    do {
      if (::poll(&p, 1, 0) > 0) return true;
    } while (Clock::now() < until);
    return false;
  }
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU time (user + system, all threads) the server process has used so far, from
// /proc/PID/stat; -1 if unreadable. Clock-tick resolution (10 ms), fine over a phase of 0.2 s
// and more. Unlike throughput this hardly depends on how the scheduler places the threads of a
// noisy VM, which makes it the steadier figure for what a feature costs per call.
double process_cpu_seconds(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may hold spaces and parentheses
  unsigned long utime = 0, stime = 0;
  // After ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

// ---- The benchmark session -----------------------------------------------------------------
class Session {
 public:
  explicit Session(const Options& o) : o_(o), child_(spawn(o)), in_(child_.from, o.timeout_ms) {
    g_child = child_.pid;
    in_.set_spin_us(o.spin_us);
  }

  void handshake() {
    write_all(child_.to,
              R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":")" +
                  o_.protocol_version +
                  R"(","capabilities":{},"clientInfo":{"name":"mcp_bench_driver","version":"1.0.0"}}})"
                  "\n");
    Reply r = next_reply("initialize");
    if (!r.has_result || r.id != 1) die("initialize failed: " + (r.has_error ? r.error : "no result"));
    write_all(child_.to, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
  }

  // All calls written back to back while a reader thread drains: measures how fast the server
  // turns over a deep queue, which is what an agent fanning out tool calls sees.
  double pipelined(long n) {
    const int64_t first = next_id_;
    next_id_ += n;
    std::string batch;
    batch.reserve(size_t(n) * (140 + o_.payload_bytes));
    for (int64_t id = first; id < first + n; ++id) append_request(batch, id);
    std::vector<uint8_t> seen(size_t(n), 0);
    Clock::time_point done;
    std::string error;
    std::thread reader([&] {
      for (long got = 0; got < n;) {
        Reply r;
        if (!read_reply(&r, &error)) {
          error += " (" + std::to_string(got) + " of " + std::to_string(n) + " responses received)";
          return;
        }
        if (r.has_method) continue;  // server notification or request: not ours to count
        // A stray or repeated id is a failure; a missing one ends in the timeout above.
        if (!r.id_is_number || r.id < first || r.id >= first + n || seen[r.id - first]) {
          fail("unexpected or repeated response id in pipelined phase");
          continue;
        }
        seen[r.id - first] = 1;
        ++got;
        verify(r, r.id);
      }
      done = Clock::now();
    });
    double cpu0 = cpu_seconds(), server_cpu0 = process_cpu_seconds(child_.pid);
    auto start = Clock::now();
    write_all(child_.to, batch);
    reader.join();
    if (!error.empty()) die("pipelined phase: " + error);
    double secs = std::chrono::duration<double>(done - start).count();
    double server_cpu1 = process_cpu_seconds(child_.pid);
    server_cpu_us_ = server_cpu0 < 0 || server_cpu1 < 0 ? -1 : (server_cpu1 - server_cpu0) * 1e6 / double(n);
    // The driver's own CPU share tells whether it, rather than the server, was the bottleneck.
    std::fprintf(stderr, "mcp_bench_driver: %s: %ld pipelined calls in %.3f s, driver cpu %.3f s\n",
                 o_.name.c_str(), n, secs, cpu_seconds() - cpu0);
    return double(n) / secs;
  }

  // One call in flight at a time, read on this thread: no thread hand-off on the client side
  // inflates the round trip, so the figure is as close to the server's own latency as we get.
  std::vector<double> sequential(long m) {
    std::vector<double> us;
    us.reserve(size_t(m));
    std::string req;
    in_.set_spin(true);
    for (long i = 0; i < m; ++i) {
      int64_t id = next_id_++;
      req.clear();
      append_request(req, id);
      auto t0 = Clock::now();
      write_all(child_.to, req);
      Reply r;
      do r = next_reply("sequential phase"); while (r.has_method);
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      verify(r, id);
    }
    in_.set_spin(false);
    return us;
  }

  // Close stdin and give the server a moment to exit by itself, as a client would.
  void shutdown() {
    ::close(child_.to);
    int status = 0;
    for (int i = 0; i < 500; ++i) {
      if (::waitpid(child_.pid, &status, WNOHANG) == child_.pid) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
          std::fprintf(stderr, "mcp_bench_driver: note: %s exited with status 0x%x\n", o_.name.c_str(), status);
        return;
      }
      ::usleep(10000);
    }
    std::fprintf(stderr, "mcp_bench_driver: note: %s still running 5 s after stdin closed; killed\n", o_.name.c_str());
    ::kill(child_.pid, SIGKILL);
    ::waitpid(child_.pid, &status, 0);
  }

  long failures() const { return failures_.load(); }
  // Server CPU per call in the last pipelined phase, in µs (-1 if unknown).
  double server_cpu_us() const { return server_cpu_us_; }

 private:
  const Options& o_;
  Child child_;
  LineReader in_;
  int64_t next_id_ = 2;
  double server_cpu_us_ = -1;
  std::atomic<long> failures_{0};

  std::string text_for(int64_t id) const {
    std::string t = "bench-" + std::to_string(id) + "-";
    if (t.size() < o_.payload_bytes) t.append(o_.payload_bytes - t.size(), 'x');
    return t;
  }
  void append_request(std::string& out, int64_t id) const {
    out += R"({"jsonrpc":"2.0","id":)";
    out += std::to_string(id);
    out += R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":")";
    out += text_for(id);
    out += "\"}}}\n";
  }
  bool read_reply(Reply* r, std::string* why) {
    std::string_view line;
    if (!in_.next(&line, why)) return false;
    if (!Scanner(line).reply(*r)) {
      fail("unparseable line from server: " + std::string(line.substr(0, 200)));
      r->has_method = true;  // not a response; do not count it
    }
    return true;
  }
  Reply next_reply(const char* phase) {
    Reply r;
    std::string why;
    if (!read_reply(&r, &why)) die(std::string(phase) + ": " + why);
    return r;
  }
  void verify(const Reply& r, int64_t expect_id) {
    if (!r.id_is_number || r.id != expect_id) fail("unexpected or repeated response id");
    else if (r.has_error) fail("id " + std::to_string(r.id) + ": JSON-RPC error: " + r.error);
    else if (!r.has_result || r.is_error) fail("id " + std::to_string(r.id) + ": no result or isError");
    else if (!r.has_text || r.text != text_for(r.id)) fail("id " + std::to_string(r.id) + ": echoed text differs");
  }
  void fail(const std::string& what) {
    if (failures_.fetch_add(1) < 5) std::fprintf(stderr, "mcp_bench_driver: %s: %s\n", o_.name.c_str(), what.c_str());
  }
};

double percentile(std::vector<double> v, double p) {  // nearest-rank
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = size_t(std::max(1.0, std::ceil(p / 100.0 * double(v.size()))));
  return v[std::min(rank, v.size()) - 1];
}

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "mcp_bench_driver: %s\nusage: mcp_bench_driver [--name N] [--calls N] "
               "[--latency-calls M] [--warmup W] [--payload-bytes B] [--timeout-ms T] [--spin-us U] "
               "[--protocol-version V] [--env K=V]... [--stderr FILE] -- <command> [args...]\n",
               msg.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  int i = 1;
  auto value = [&](const char* flag) -> std::string {
    if (i + 1 >= argc) usage(std::string(flag) + " needs a value");
    return argv[++i];
  };
  auto count = [&](const char* flag, long min) {
    std::string v = value(flag);
    long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < min) usage(std::string("bad value for ") + flag);
    return n;
  };
  for (; i < argc && std::string_view(argv[i]) != "--"; ++i) {
    std::string_view a = argv[i];
    if (a == "--name") o.name = value("--name");
    else if (a == "--calls") o.calls = count("--calls", 1);
    else if (a == "--latency-calls") o.latency_calls = count("--latency-calls", 1);
    else if (a == "--warmup") o.warmup = count("--warmup", 0);
    else if (a == "--payload-bytes") o.payload_bytes = size_t(count("--payload-bytes", 0));
    else if (a == "--timeout-ms") o.timeout_ms = int(count("--timeout-ms", 1));
    else if (a == "--spin-us") o.spin_us = count("--spin-us", 0);
    else if (a == "--protocol-version") o.protocol_version = value("--protocol-version");
    else if (a == "--stderr") o.stderr_path = value("--stderr");
    else if (a == "--env") {
      o.env.push_back(value("--env"));
      if (o.env.back().find('=') == std::string::npos || o.env.back()[0] == '=') usage("--env wants KEY=VALUE");
    } else usage("unknown option " + std::string(a));
  }
  if (i + 1 >= argc) usage("missing -- <server command>");
  o.command.assign(argv + i + 1, argv + argc);
  if (o.name.empty()) o.name = o.command.front();
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a dead server must surface as EPIPE, not kill the driver
  Options o = parse(argc, argv);
  Session s(o);
  s.handshake();
  // Warm-up: let JITs compile, pools spin up and caches fill before anything is timed.
  if (o.warmup > 0) {
    s.pipelined(o.warmup);
    s.sequential(std::max(100L, o.warmup / 10));
  }
  double throughput = s.pipelined(o.calls);
  std::vector<double> lat = s.sequential(o.latency_calls);
  s.shutdown();
  std::printf(
      "RESULT name=%s throughput=%.1f p50_us=%.1f p99_us=%.1f server_cpu_us=%.2f calls=%ld latency_calls=%ld "
      "failures=%ld\n",
      o.name.c_str(), throughput, percentile(lat, 50), percentile(lat, 99), s.server_cpu_us(), o.calls,
      o.latency_calls, s.failures());
  return s.failures() == 0 ? 0 : 1;
}
