#include "identity/key_store.hpp"

#include "identity/api_keys.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace toolgate {

namespace {

void fill_stamp(const struct stat& st, auto& stamp) {
  stamp.dev = st.st_dev;
  stamp.ino = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_sec = st.st_mtim.tv_sec;
  stamp.mtime_nsec = st.st_mtim.tv_nsec;
  stamp.mode = st.st_mode;
}

}  // namespace

KeyStore::KeyStore(std::string path) : path_(std::move(path)) {}

std::shared_ptr<const KeyStore::Snapshot> KeyStore::load(Stamp& stamp) {
  auto snap = std::make_shared<Snapshot>();
  const std::string prefix = "keys file " + path_ + " is invalid: ";
  // Read through one descriptor so the stamp we remember describes exactly the bytes we parsed.
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snap->error = prefix + "cannot read file: " + std::strerror(errno);
    stamp = Stamp{};
    return snap;
  }
  struct stat st {};
  std::string text;
  bool read_ok = ::fstat(fd, &st) == 0;
  if (read_ok) {
    fill_stamp(st, stamp);
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) read_ok = false;
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
  }
  int saved = errno;
  ::close(fd);
  if (!read_ok) {
    snap->error = prefix + "cannot read file: " + std::strerror(saved);
    return snap;
  }
  // Whoever can write the file can give themselves any key: like ssh with authorized_keys, a
  // file other users may write is not trusted at all (fail closed).
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    snap->error = "keys file " + path_ + " is not used: it is writable by " +
                  ((st.st_mode & S_IWOTH) ? "every user" : "its group") + " (mode " + mode +
                  "), so anyone who can write it could add a key; run chmod go-w " + path_;
    return snap;
  }
  JsonErrors errors;
  auto file = parse_keys_file(text, errors);
  if (!file) {
    snap->error = prefix + errors.joined("; ");
    return snap;
  }
  for (auto& k : file->keys) snap->by_id.emplace(k.id, std::move(k));
  return snap;
}

std::shared_ptr<const KeyStore::Snapshot> KeyStore::current() {
  std::lock_guard<std::mutex> lock(mu_);
  struct stat st {};
  Stamp now_stamp;
  if (::stat(path_.c_str(), &st) == 0) fill_stamp(st, now_stamp);
  // A missing file has the empty stamp; once known missing, it is not re-opened every call.
  if (!loaded_ || !(now_stamp == stamp_)) {
    Stamp loaded_stamp;
    snapshot_ = load(loaded_stamp);
    stamp_ = loaded_stamp;
    loaded_ = true;
  }
  return snapshot_;
}

KeyCheck KeyStore::check(std::string_view key, SysTime now) {
  KeyCheck out;
  auto parsed = parse_api_key(key);
  if (!parsed) {
    out.reason = "invalid API key: not of the form tgk_<12 hex id>_<secret>";
    return out;
  }
  auto snap = current();
  if (!snap->error.empty()) {
    out.reason = snap->error;
    return out;
  }
  auto it = snap->by_id.find(parsed->id);
  if (it == snap->by_id.end()) {
    out.reason = "invalid API key: unknown key id " + parsed->id;
    return out;
  }
  const ApiKeyRecord& rec = it->second;
  // The secret is checked before the key's status so that only its holder learns the status.
  if (!api_key_secret_matches(parsed->secret, rec.hash)) {
    out.reason = "invalid API key: the secret does not match key " + rec.id;
    return out;
  }
  if (rec.disabled) {
    out.reason = "API key " + rec.id + " has been revoked";
    return out;
  }
  if (rec.expires && now >= *rec.expires) {
    out.reason = "API key " + rec.id + " expired at " + format_rfc3339(*rec.expires);
    return out;
  }
  out.ok = true;
  out.principal = Principal{rec.subject, rec.tenant, rec.scopes, "api_key", rec.id};
  return out;
}

}  // namespace toolgate
