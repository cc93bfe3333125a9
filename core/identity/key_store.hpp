// Checks API keys against the keys file, re-reading the file whenever it changes so revocation,
// expiry edits and new keys take effect on the next call without a restart.
//
// Each check stats the file (one syscall) and re-parses only when device, inode, size or mtime
// differ from the version in memory; `keys` commands replace the file by rename, so every write
// shows up as a new inode. If the file cannot be read or parsed, every check fails closed with
// "keys file <path> is invalid: ..." until a good version appears; the last good version is not
// kept, because serving stale grants after someone edited the file would defeat revocation.
//
// Thread-safe: check() may be called from many worker threads; a mutex guards the reload and the
// lookup runs on an immutable snapshot. Lives as long as the Authenticator that owns it.
#pragma once

#include "identity/keys_file.hpp"
#include "policy/principal.hpp"

#include <sys/stat.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace toolgate {

struct KeyCheck {
  bool ok = false;
  Principal principal;  // set when ok
  std::string reason;   // set when !ok; never contains the secret
};

class KeyStore {
 public:
  explicit KeyStore(std::string path);

  // Checks the full credential "tgk_<id>_<secret>" at time `now`.
  KeyCheck check(std::string_view key, SysTime now);
  const std::string& path() const { return path_; }

 private:
  struct Snapshot {
    std::unordered_map<std::string, ApiKeyRecord> by_id;
    std::string error;  // non-empty: the file on disk is invalid, fail closed
  };
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    long mtime_sec = 0;
    long mtime_nsec = 0;
    mode_t mode = 0;  // a chmod that makes the file safe (or unsafe) counts as a change
    bool operator==(const Stamp&) const = default;
  };

  std::shared_ptr<const Snapshot> current();
  std::shared_ptr<const Snapshot> load(Stamp& stamp);

  const std::string path_;
  std::mutex mu_;
  Stamp stamp_;
  bool loaded_ = false;
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace toolgate
