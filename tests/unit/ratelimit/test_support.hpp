// Shared bits for the rate-limit tests: an injected clock the test advances by hand, a private
// temporary directory for host-store files, and principals. Single-threaded test use only.
#pragma once

#include "policy/principal.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace toolgate::testing {

constexpr std::int64_t kSecond = 1'000'000'000LL;

// A monotonic clock that only moves when the test says so. Copies share the time.
class FakeClock {
 public:
  explicit FakeClock(std::int64_t start_ns = 5000 * kSecond)
      : now_(std::make_shared<std::atomic<std::int64_t>>(start_ns)) {}
  std::int64_t now() const { return now_->load(); }
  void advance(std::int64_t ns) { now_->fetch_add(ns); }
  void advance_seconds(double s) { advance(static_cast<std::int64_t>(s * kSecond)); }
  std::function<std::int64_t()> fn() const {
    auto p = now_;
    return [p] { return p->load(); };
  }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> now_;
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tg-ratelimit-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline Principal principal(const std::string& subject, const std::string& tenant = "acme") {
  Principal p;
  p.subject = subject;
  p.tenant = tenant;
  p.credential_kind = "api_key";
  return p;
}

}  // namespace toolgate::testing
