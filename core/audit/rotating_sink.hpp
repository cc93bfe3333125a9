// The files under the audit directory, written through spdlog's rotating file sink behind a
// dedicated spdlog logger (pattern "%v", never registered globally, never on stderr).
// What it adds to the plain sink, because an audit trail must not lose entries silently:
//  - the directory is created 0700 if missing, every file (rotations too) is created 0600 and
//    close-on-exec;
//  - the stream is unbuffered and AuditLog passes a whole batch of entries to one write_line(),
//    so a batch costs one write(2) and no stdio copy; flush() fsyncs when configured; every
//    failure is reported (an error handler on the logger plus ferror), never swallowed;
//  - a rotation whose rename fails is an error, not (as in plain spdlog) a truncated file;
//  - several processes can share the directory (AuditDirLock): before each batch the sink
//    takes the directory lock and checks that the path still names the file it holds (not
//    removed, replaced or rotated away, nor appended to behind the lock's back) and whether
//    another process wrote meanwhile;
//  - on a full (re)open it reads where the chain on disk ends, terminating a torn final line
//    with a newline (the caller then records the repair in the chain).
// A batch is: acquire(), write_line()..., flush(), then commit() or abort().
// Not thread-safe: AuditLog serialises all calls under its writer mutex.
#pragma once

#include "audit/audit_files.hpp"
#include "audit/dir_lock.hpp"

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace toolgate {

class AuditFileSink {
 public:
  AuditFileSink(std::string dir, std::uint64_t max_file_bytes, std::size_t max_files, bool fsync);
  ~AuditFileSink();
  AuditFileSink(const AuditFileSink&) = delete;
  AuditFileSink& operator=(const AuditFileSink&) = delete;

  struct Acquired {
    bool scanned = false;  // the files were read: `tail` says where the chain on disk ends
    ChainTail tail;
    // With `scanned`: where the directory's lock file says the chain last ended (it outlives the
    // audit files, so files deleted while no toolgate ran are noticed).
    std::optional<std::string> lock_hash;
    // Set when another process wrote since our last batch: the chain now ends at this hash.
    std::optional<std::string> moved_on_to;
  };
  // Takes the directory lock and makes sure the right file is open. On failure returns false
  // with `error` and holds nothing.
  bool acquire(Acquired& state, std::string& error);
  // Buffers one line plus "\n" (a rotation may happen here, before the line). `line` may be
  // several lines joined by "\n": they then stay together in one file.
  bool write_line(std::string_view line, std::string& error);
  // Makes sure everything written is with the kernel (and fsyncs when configured).
  bool flush(std::string& error);
  // Ends a successful batch: publishes the chain end to other processes, unlocks.
  void commit(const std::string& last_hash);
  // Ends a failed batch: tells every writer to re-read the files, drops file and lock.
  void abort();

  const std::string& file_path() const { return path_; }

 private:
  bool open_all(Acquired& state, std::string& error);
  bool open_sink(std::string& error);
  bool same_file() const;
  void close();

  std::string dir_;
  std::string path_;
  std::uint64_t max_file_bytes_;
  std::size_t max_files_;
  bool fsync_;
  AuditDirLock lock_;
  std::uint64_t generation_ = 0;  // the directory's generation after our last batch
  std::shared_ptr<spdlog::logger> logger_;
  std::FILE* fp_ = nullptr;  // the sink's current file, tracked through spdlog's file events
  dev_t dev_ = 0;            // identity of that file
  ino_t ino_ = 0;
  long long expected_size_ = -1;  // its size once everything written is flushed
  std::string sink_error_;   // set by the logger's error handler
  bool rotating_ = false;    // the sink exists, so any further open is a rotation
};

// mkdir -p with mode 0700 for every directory it creates.
bool make_private_dirs(const std::string& dir, std::string& error);

}  // namespace toolgate
