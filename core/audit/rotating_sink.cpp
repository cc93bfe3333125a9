#include "audit/rotating_sink.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace toolgate {

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Creates the file 0600 if missing, so neither spdlog's fopen nor its truncating reopen on
// rotation ever creates it with the umask's wider mode.
bool precreate(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = errno_text("cannot open " + path);
    return false;
  }
  ::close(fd);
  return true;
}

bool append_newline(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  bool ok = fd >= 0 && ::write(fd, "\n", 1) == 1;
  if (!ok) error = errno_text("cannot repair the torn last line of " + path);
  if (fd >= 0) ::close(fd);
  return ok;
}

}  // namespace

bool make_private_dirs(const std::string& dir, std::string& error) {
  if (dir.empty()) {
    error = "audit directory is empty";
    return false;
  }
  for (std::size_t pos = 1;; ++pos) {
    pos = dir.find('/', pos);
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      error = errno_text("cannot create audit directory " + part);
      return false;
    }
    if (pos == std::string::npos) break;
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = "audit directory " + dir + " is not a directory";
    return false;
  }
  return true;
}

AuditFileSink::AuditFileSink(std::string dir, std::uint64_t max_file_bytes, std::size_t max_files, bool fsync)
    : dir_(std::move(dir)), path_(audit_file_path(dir_, 0)), max_file_bytes_(max_file_bytes),
      max_files_(max_files), fsync_(fsync) {}

AuditFileSink::~AuditFileSink() { close(); }

void AuditFileSink::close() {
  logger_.reset();  // last owner of the sink: closes the file
  fp_ = nullptr;
  lock_.close();
}

// The path still names our file, and nobody appended to it without the directory lock (a
// writer that bypassed it, or bytes left by one that crashed before the lock was robust).
bool AuditFileSink::same_file() const {
  struct stat named;
  return fp_ && ::stat(path_.c_str(), &named) == 0 && named.st_ino == ino_ && named.st_dev == dev_ &&
         static_cast<long long>(named.st_size) == expected_size_;
}

bool AuditFileSink::acquire(Acquired& state, std::string& error) {
  state = Acquired{};
  if (logger_ && lock_.is_open()) {
    bool died = false;
    if (!lock_.lock(died, error)) {
      close();
      return false;
    }
    if (!died && !lock_.needs_scan() && same_file()) {
      if (lock_.generation() == generation_) return true;
      // Another process wrote: continue from its chain end, in the file as it is now (it may
      // have rotated, and the sink's idea of the file size is stale).
      state.moved_on_to = lock_.last_hash();
      if (state.moved_on_to && open_sink(error)) return true;
      state.moved_on_to.reset();
    }
  }
  close();
  if (!open_all(state, error)) {
    close();
    return false;
  }
  return true;
}

bool AuditFileSink::open_all(Acquired& state, std::string& error) {
  if (!make_private_dirs(dir_, error)) return false;
  if (!lock_.open(dir_ + "/" + kAuditLockName, error)) return false;
  bool died = false;
  if (!lock_.lock(died, error)) return false;
  auto found = scan_chain_tail(dir_, error);
  if (!found) return false;
  state.scanned = true;
  state.tail = *found;
  state.lock_hash = lock_.last_hash();
  if (state.tail.needs_newline && !append_newline(path_, error)) return false;
  return open_sink(error);
}

bool AuditFileSink::open_sink(std::string& error) {
  logger_.reset();
  fp_ = nullptr;
  if (!precreate(path_, error)) return false;
  spdlog::file_event_handlers events;
  events.before_open = [this](const spdlog::filename_t& name) {
    // After construction the sink opens a file only to rotate: the renames have moved the
    // current file away and spdlog truncates whatever is at `name`. If a rename failed, that
    // is still the live file, and spdlog would empty it; refuse, so the write fails instead.
    struct stat st;
    if (rotating_ && ::stat(name.c_str(), &st) == 0 && st.st_size > 0)
      throw spdlog::spdlog_ex("rotation of " + name + " failed; refusing to truncate it");
    std::string ignored;
    precreate(name, ignored);
  };
  events.after_open = [this](const spdlog::filename_t&, std::FILE* f) {
    int fd = ::fileno(f);
    ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
    struct stat st;
    if (::fstat(fd, &st) == 0) {
      if (S_ISREG(st.st_mode) && (st.st_mode & 0177) != 0) ::fchmod(fd, 0600);
      dev_ = st.st_dev;
      ino_ = st.st_ino;
      expected_size_ = static_cast<long long>(st.st_size);
    }
    // Unbuffered: AuditLog hands over a whole batch per write_line(), which then goes to the
    // kernel in one write(2) without a second copy through a stdio buffer. Set before any I/O
    // on the stream, as setvbuf requires.
    std::setvbuf(f, nullptr, _IONBF, 0);
    fp_ = f;
  };
  events.before_close = [this](const spdlog::filename_t&, std::FILE* f) {
    if (f == fp_) fp_ = nullptr;
  };
  rotating_ = false;
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(path_, max_file_bytes_, max_files_, false, events);
    logger_ = std::make_shared<spdlog::logger>("toolgate.audit", std::move(sink));
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  rotating_ = true;
  logger_->set_pattern("%v");
  logger_->set_level(spdlog::level::trace);
  logger_->flush_on(spdlog::level::off);
  logger_->set_error_handler([this](const std::string& msg) {
    if (sink_error_.empty()) sink_error_ = msg;
  });
  if (fsync_) {  // make the (possibly new) directory entry durable too
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return true;
}

bool AuditFileSink::write_line(std::string_view line, std::string& error) {
  sink_error_.clear();
  logger_->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
  if (sink_error_.empty() && (!fp_ || std::ferror(fp_))) sink_error_ = "write to " + path_ + " failed";
  if (!sink_error_.empty()) {
    error = sink_error_;
    return false;
  }
  expected_size_ += static_cast<long long>(line.size()) + 1;
  return true;
}

bool AuditFileSink::flush(std::string& error) {
  sink_error_.clear();
  logger_->flush();
  if (sink_error_.empty() && (!fp_ || std::ferror(fp_))) sink_error_ = "write to " + path_ + " failed";
  if (sink_error_.empty() && fsync_ && ::fsync(::fileno(fp_)) != 0)
    sink_error_ = errno_text("fsync of " + path_ + " failed");
  if (!sink_error_.empty()) {
    error = sink_error_;
    return false;
  }
  return true;
}

void AuditFileSink::commit(const std::string& last_hash) {
  lock_.committed(last_hash);
  generation_ = lock_.generation();
  lock_.unlock();
}

void AuditFileSink::abort() {
  if (lock_.locked()) lock_.mark_needs_scan();
  close();
}

}  // namespace toolgate
