// Cost of the rate-limit step per tools/call, for each store: memory, host (a fresh shared file)
// and redis (a redis-server this program starts on a free loopback port), plus a baseline with
// no limits configured (the cost of deciding that no bucket applies). Each measured check takes a
// token from a per-tool and a per-tenant bucket, cycling through 1000 principals in 10 tenants
// and 4 tools so the stores see a realistic key spread; the limits are huge so every call is
// allowed and every call does the same work.
//
// Usage: ratelimit_bench [calls] [redis_calls]    (defaults 200000 and 20000)
// Prints one JSON object per store on stdout, e.g.
//   {"bench":"ratelimit","store":"memory","calls":200000,"nsPerCall":182.4}
// and a readable table on stderr. A store that cannot run (redis-server missing) is reported as
// {"bench":"ratelimit","store":"redis","error":"..."} and makes the exit status 1.
#include "ratelimit/host_store.hpp"
#include "ratelimit/memory_store.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "redis_server_process.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using toolgate::BucketStore;
using toolgate::Principal;
using toolgate::RateLimit;
using toolgate::RateLimitConfig;
using toolgate::RateLimiter;

constexpr int kPrincipals = 1000;
const char* const kTools[] = {"dns_lookup", "http_get", "read_file", "sql_query"};

// Runs `calls` checks and returns nanoseconds per call; -1 when any call was refused or errored.
double measure(RateLimiter& limiter, long calls, bool manifest_limit = true) {
  std::vector<Principal> principals(kPrincipals);
  for (int i = 0; i < kPrincipals; ++i) {
    principals[i].subject = "user" + std::to_string(i) + "@example.com";
    principals[i].tenant = "tenant" + std::to_string(i % 10);
  }
  std::optional<RateLimit> manifest;
  if (manifest_limit) manifest = RateLimit{1'000'000'000'000LL, 1e9};
  for (int i = 0; i < kPrincipals; ++i) limiter.check(principals[i], kTools[0], manifest);  // warm up
  const auto start = std::chrono::steady_clock::now();
  bool all_allowed = true;
  for (long i = 0; i < calls; ++i) {
    toolgate::Decision d = limiter.check(principals[i % kPrincipals], kTools[(i / kPrincipals) % 4], manifest);
    all_allowed = all_allowed && d.allowed && !d.failed_open;
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  return all_allowed ? ns / static_cast<double>(calls) : -1;
}

RateLimitConfig bench_config() {
  RateLimitConfig c;
  c.per_tenant = RateLimit{1'000'000'000'000LL, 1e9};
  return c;
}

int report(const std::string& store, long calls, double ns_per_call, const std::string& error = "") {
  if (!error.empty() || ns_per_call < 0) {
    const std::string why = error.empty() ? "some calls were refused or failed" : error;
    std::printf("{\"bench\":\"ratelimit\",\"store\":\"%s\",\"error\":\"%s\"}\n", store.c_str(), why.c_str());
    std::fprintf(stderr, "  %-10s  error: %s\n", store.c_str(), why.c_str());
    return 1;
  }
  std::printf("{\"bench\":\"ratelimit\",\"store\":\"%s\",\"calls\":%ld,\"nsPerCall\":%.1f}\n", store.c_str(), calls,
              ns_per_call);
  std::fprintf(stderr, "  %-10s  %10.1f ns/call  (%ld calls)\n", store.c_str(), ns_per_call, calls);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const long calls = argc > 1 ? std::atol(argv[1]) : 200000;
  const long redis_calls = argc > 2 ? std::atol(argv[2]) : 20000;
  int failures = 0;
  std::fprintf(stderr, "rate limiter cost per check (tool + tenant bucket):\n");

  {
    RateLimiter none{RateLimitConfig{}};
    failures += report("none", calls, measure(none, calls, false));
  }
  {
    RateLimitConfig c = bench_config();
    RateLimiter memory(c, toolgate::monotonic_now_ns, std::make_shared<toolgate::MemoryStore>());
    failures += report("memory", calls, measure(memory, calls));
  }
  {
    char dir_template[] = "/dev/shm/tg-rl-bench-XXXXXX";
    char fallback_template[] = "/tmp/tg-rl-bench-XXXXXX";
    const char* dir = ::mkdtemp(dir_template);
    if (!dir) dir = ::mkdtemp(fallback_template);
    if (!dir) return report("host", 0, -1, "cannot create a temporary directory");
    const std::string path = std::string(dir) + "/buckets";
    toolgate::HostStoreOptions o;
    o.path = path;
    auto store = std::make_shared<toolgate::HostStore>(o);
    if (!store->ok()) {
      failures += report("host", 0, -1, store->open_error());
    } else {
      RateLimiter host(bench_config(), toolgate::monotonic_now_ns, store);
      failures += report("host", calls, measure(host, calls));
    }
    ::unlink(path.c_str());
    ::rmdir(dir);
  }
  {
    toolgate::testing::RedisServerProcess server;
    const std::string error = server.start();
    if (!error.empty()) {
      failures += report("redis", 0, -1, error);
    } else {
      RateLimitConfig c = bench_config();
      c.store = server.url();
      c.store_kind = toolgate::StoreKind::redis;
      c.redis_host = "127.0.0.1";
      c.redis_port = server.port();
      RateLimiter redis(c);
      failures += report("redis", redis_calls, measure(redis, redis_calls));
    }
  }
  return failures == 0 ? 0 : 1;
}
