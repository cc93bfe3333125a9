#include "protocol/request_state.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/canonical_json.hpp"
#include "util/digest.hpp"

namespace toolgate {

namespace json = boost::json;

namespace {

std::string b64url(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    std::uint32_t n = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8) | std::uint8_t(in[i + 2]);
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], t[n & 63]};
    i += 3;
  }
  if (i + 1 == in.size()) {
    std::uint32_t n = std::uint8_t(in[i]) << 16;
    out += {t[n >> 18], t[(n >> 12) & 63]};
  } else if (i + 2 == in.size()) {
    std::uint32_t n = (std::uint8_t(in[i]) << 16) | (std::uint8_t(in[i + 1]) << 8);
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63]};
  }
  return out;
}

bool unb64url(const std::string& in, std::string& out) {
  out.clear();
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return false;
    buf = (buf << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return true;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string args_digest(const json::value& args) { return sha256_hex(canonical_json(args)); }

RequestStateSealer::RequestStateSealer(std::string key, std::chrono::seconds lifetime, std::string spent_dir)
    : key_(key.empty() ? random_hex(32) : std::move(key)), lifetime_(lifetime), spent_dir_(std::move(spent_dir)) {}

std::string RequestStateSealer::mac(const std::string& payload) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(payload.data()),
       payload.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string RequestStateSealer::seal(const RequestStateClaims& c) {
  json::object p{{"sub", c.subject}, {"ten", c.tenant}, {"tool", c.tool}, {"args", c.args_digest},
                 {"exp", now_seconds() + lifetime_.count()}, {"nonce", random_hex(16)}};
  std::string payload = b64url(canonical_json(p));
  return "tg1." + payload + "." + b64url(mac(payload));
}

std::string RequestStateSealer::open(const std::string& token, const RequestStateClaims& expected) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  if (token.rfind("tg1.", 0) != 0 || second == std::string::npos)
    return "requestState is not one this server issued";
  std::string payload = token.substr(first + 1, second - first - 1);
  std::string sig;
  if (!unb64url(token.substr(second + 1), sig) || !constant_time_equal(sig, mac(payload)))
    return "requestState failed authentication (forged or altered)";
  std::string raw;
  json::value v;
  try {
    if (!unb64url(payload, raw)) throw std::runtime_error("b64");
    v = json::parse(raw);
  } catch (...) {
    return "requestState is malformed";
  }
  const json::object& p = v.as_object();
  std::int64_t exp = p.at("exp").as_int64();
  if (now_seconds() > exp) return "requestState has expired; call the tool again";
  if (p.at("sub") != expected.subject.c_str() || p.at("ten") != expected.tenant.c_str())
    return "requestState was issued to a different caller";
  if (p.at("tool") != expected.tool.c_str()) return "requestState was issued for a different tool";
  if (p.at("args") != expected.args_digest.c_str()) return "requestState was issued for different arguments";
  return spend(std::string(p.at("nonce").as_string()), exp);
}

std::string RequestStateSealer::spend(const std::string& nonce, std::int64_t exp) {
  std::lock_guard<std::mutex> lock(mu_);
  std::int64_t now = now_seconds();
  for (auto it = used_.begin(); it != used_.end();) it = it->second < now ? used_.erase(it) : std::next(it);
  if (!used_.emplace(nonce, exp).second) return "requestState was already used";
  if (spent_dir_.empty()) return {};
  std::string why = spend_shared(nonce, now);
  if (!why.empty()) used_.erase(nonce);
  return why;
}

// Fails closed: a token that cannot be recorded where the other processes look is refused.
std::string RequestStateSealer::spend_shared(const std::string& nonce, std::int64_t now) {
  if (nonce.empty() || nonce.find_first_not_of("0123456789abcdef") != std::string::npos)
    return "requestState is malformed";
  if (::mkdir(spent_dir_.c_str(), 0700) != 0 && errno != EEXIST)
    return "requestState cannot be checked against other toolgate processes: cannot create " + spent_dir_ + ": " +
           std::strerror(errno);
  if (now >= next_prune_) {  // tokens past their lifetime can never open again: forget them
    next_prune_ = now + 60;
    if (DIR* d = ::opendir(spent_dir_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string path = spent_dir_ + "/" + e->d_name;
        struct stat st;
        if (e->d_name[0] != '.' && ::stat(path.c_str(), &st) == 0 && st.st_mtime + lifetime_.count() + 60 < now)
          ::unlink(path.c_str());
      }
      ::closedir(d);
    }
  }
  int fd = ::open((spent_dir_ + "/" + nonce).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno == EEXIST) return "requestState was already used";
  return "requestState cannot be checked against other toolgate processes: cannot write to " + spent_dir_ + ": " +
         std::strerror(errno);
}

}  // namespace toolgate
