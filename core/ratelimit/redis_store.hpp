// The `redis://host:port` store, for fleets of machines: buckets live in redis and every take is
// one atomic server-side Lua script (EVALSHA, falling back to EVAL when the server lacks it) that
// refills, decides and writes all the call's buckets together, and gives each key a TTL so idle
// buckets expire on their own (never before they would be full again anyway).
//
// Time: by default the script reads the redis server's clock (TIME), because monotonic clocks of
// different machines cannot be compared; the caller's now_ns is then ignored. server_time=false
// uses the caller's clock instead (deterministic tests, or one machine).
//
// Failure: connect and reply waits are bounded by timeout_ms (default 200), so an unreachable or
// hung redis never hangs a call; after a connection failure the store fails fast, without
// reconnecting, for retry_after_failure_ms. Both surface as TakeResult errors for the limiter's
// onStoreError rule. Host names are resolved with getaddrinfo, which the timeout does not cover:
// prefer IP addresses or /etc/hosts names.
// The constructor sets SIGPIPE to ignored if it is still at its default, since a write to a
// socket redis has closed would otherwise kill the process.
// Thread-safe: connections come from a small mutex-guarded pool (one per concurrent caller), and
// a connection that saw any I/O error is closed, not reused.
#pragma once

#include "ratelimit/store.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

struct redisContext;

namespace toolgate {

struct RedisStoreOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::int64_t timeout_ms = 200;
  std::int64_t idle_expiry_seconds = 600;
  bool server_time = true;
  std::string key_prefix = "toolgate:rl:";
  std::int64_t retry_after_failure_ms = 1000;
};

class RedisStore final : public BucketStore {
 public:
  explicit RedisStore(RedisStoreOptions options);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  using BucketStore::take;
  TakeResult take(std::span<const BucketRequest> requests, std::int64_t now_ns) override;
  std::string name() const override;

 private:
  redisContext* acquire(std::string& error);
  void release(redisContext* ctx, bool healthy);
  void mark_down(const std::string& error);

  RedisStoreOptions options_;
  std::string sha_;
  std::mutex mu_;
  std::vector<redisContext*> idle_;  // guarded by mu_
  std::string last_error_;           // guarded by mu_
  std::atomic<std::int64_t> down_until_ns_{0};  // steady clock; fail fast until then
};

}  // namespace toolgate
