#include "ratelimit/redis_store.hpp"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

namespace toolgate {

namespace {

// KEYS: the call's buckets. ARGV[1]: now in microseconds, or "" for the server's clock.
// ARGV[2]: idle TTL in ms. ARGV[2i+1], ARGV[2i+2]: burst and tokens per second of KEYS[i].
// Returns {refused (0, or the 1-based index of the first refusing key), retry_after_s, remaining}.
// The arithmetic mirrors bucket.cpp (take_all): decide every bucket first, write only if all pass.
constexpr const char* kScript = R"lua(
if redis.replicate_commands then pcall(redis.replicate_commands) end
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local idle_ms = tonumber(ARGV[2])
local eps = 1e-9
local tok, last = {}, {}
local refused, retry, remaining = 0, 0, nil
for i = 1, #KEYS do
  local burst, rate = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  local st = redis.call('HMGET', KEYS[i], 't', 'l')
  local t, l = tonumber(st[1]), tonumber(st[2])
  if t == nil or l == nil then t, l = burst, now end
  if now > l then
    t = t + (now - l) / 1e6 * rate
    l = now
  end
  if t > burst then t = burst end
  if t < 0 then t = 0 end
  tok[i], last[i] = t, l
  if t + eps < 1 then
    local r = math.ceil((1 - t) / rate - eps)
    if r < 1 then r = 1 end
    if r > 1e15 then r = 1e15 end
    if refused == 0 then refused = i end
    if r > retry then retry = r end
  else
    local rem = math.floor(t - 1 + eps)
    if remaining == nil or rem < remaining then remaining = rem end
  end
end
if refused > 0 then return {refused, retry, 0} end
for i = 1, #KEYS do
  local burst, rate = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  local t = tok[i] - 1
  if t < 0 then t = 0 end
  redis.call('HSET', KEYS[i], 't', string.format('%.17g', t), 'l', string.format('%.17g', last[i]))
  local ttl = math.ceil(burst / rate * 1000)
  if ttl < idle_ms then ttl = idle_ms end
  if ttl > 1e12 then ttl = 1e12 end
  redis.call('PEXPIRE', KEYS[i], string.format('%d', ttl))
end
return {0, 0, remaining or 0}
)lua";

std::string sha1_hex(const char* text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text, std::strlen(text), md, &len, EVP_sha1(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string format_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

constexpr std::size_t kMaxIdleConnections = 16;

}  // namespace

RedisStore::RedisStore(RedisStoreOptions options) : options_(std::move(options)), sha_(sha1_hex(kScript)) {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
}

RedisStore::~RedisStore() {
  for (redisContext* c : idle_) redisFree(c);
}

std::string RedisStore::name() const { return "redis://" + options_.host + ":" + std::to_string(options_.port); }

void RedisStore::mark_down(const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = error;
  down_until_ns_.store(steady_ns() + options_.retry_after_failure_ms * 1'000'000LL);
}

redisContext* RedisStore::acquire(std::string& error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (steady_ns() < down_until_ns_.load()) {
      error = last_error_ + " (not retrying for up to " + std::to_string(options_.retry_after_failure_ms) + " ms)";
      return nullptr;
    }
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  timeval tv{};
  tv.tv_sec = options_.timeout_ms / 1000;
  tv.tv_usec = (options_.timeout_ms % 1000) * 1000;
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
  if (!c || c->err) {
    error = "cannot connect to " + options_.host + ":" + std::to_string(options_.port) + ": " +
            (c ? std::string(c->errstr) : std::string("out of memory"));
    if (c) redisFree(c);
    mark_down(error);
    return nullptr;
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) {
    error = "cannot set a reply timeout on the redis connection";
    redisFree(c);
    mark_down(error);
    return nullptr;
  }
  return c;
}

void RedisStore::release(redisContext* ctx, bool healthy) {
  if (healthy) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdleConnections) {
      idle_.push_back(ctx);
      return;
    }
  }
  redisFree(ctx);
}

TakeResult RedisStore::take(std::span<const BucketRequest> requests, std::int64_t now_ns) {
  if (requests.empty()) return TakeResult::from(BucketOutcome{true, 0, 0, 0});
  if (requests.size() > kMaxRequests) return TakeResult::failure("too many buckets in one request");
  std::vector<std::string> args;
  args.reserve(5 + 3 * requests.size());
  args.push_back("EVALSHA");
  args.push_back(sha_);
  args.push_back(std::to_string(requests.size()));
  for (const BucketRequest& r : requests) args.push_back(options_.key_prefix + r.key);
  args.push_back(options_.server_time ? std::string() : std::to_string(now_ns / 1000));
  args.push_back(std::to_string(options_.idle_expiry_seconds * 1000));
  for (const BucketRequest& r : requests) {
    args.push_back(std::to_string(r.limit.burst));
    args.push_back(format_double(r.limit.perSecond));
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }

  std::string error;
  redisContext* ctx = acquire(error);
  if (!ctx) return TakeResult::failure(error);
  Reply reply;
  for (int pass = 0; pass < 2; ++pass) {
    reply.reset(static_cast<redisReply*>(redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!reply) {
      const bool timed_out = std::strstr(ctx->errstr, "temporarily unavailable") != nullptr;
      error = timed_out ? "no reply from " + name() + " within " + std::to_string(options_.timeout_ms) + " ms"
                        : "connection to " + name() + " failed: " + ctx->errstr;
      release(ctx, false);
      mark_down(error);
      return TakeResult::failure(error);
    }
    // NOSCRIPT: this server has not seen the script yet (restart, failover); EVAL also caches it.
    if (pass == 0 && reply->type == REDIS_REPLY_ERROR && std::strncmp(reply->str, "NOSCRIPT", 8) == 0) {
      argv[0] = "EVAL";
      lens[0] = 4;
      argv[1] = kScript;
      lens[1] = std::strlen(kScript);
      continue;
    }
    break;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    error = "redis error: " + std::string(reply->str, reply->len);
    release(ctx, true);
    return TakeResult::failure(error);
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || reply->element[0]->type != REDIS_REPLY_INTEGER ||
      reply->element[1]->type != REDIS_REPLY_INTEGER || reply->element[2]->type != REDIS_REPLY_INTEGER) {
    release(ctx, true);
    return TakeResult::failure("unexpected reply from the rate-limit script on " + name());
  }
  release(ctx, true);
  const long long refused = reply->element[0]->integer;
  TakeResult out;
  out.allowed = refused == 0;
  out.refused_index = refused > 0 ? static_cast<std::size_t>(refused - 1) : 0;
  out.retry_after_seconds = reply->element[1]->integer;
  out.remaining = reply->element[2]->integer;
  return out;
}

}  // namespace toolgate
