// Where audit entries live on disk, shared by the writer, the verifier and the CLI.
// The newest entries are in DIR/audit.jsonl; spdlog's rotating sink renames it to
// audit.1.jsonl, audit.1 to audit.2, ... so a HIGHER number is OLDER, and files past maxFiles
// are deleted. Also finds where a chain left off (the last complete entry) when the writer
// (re)opens, and notices a torn final line left by a crash or a failed write.
// Stateless functions; callers serialise access to a directory (AuditFileSink's lock).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

inline constexpr const char* kAuditFileName = "audit.jsonl";
inline constexpr const char* kAuditLockName = ".audit.lock";

// A line with a whole written entry's shape: the hash member last, and valid JSON. `hash`, when
// given, receives the stored hash.
bool is_entry_line(std::string_view line, std::string* hash = nullptr);

// DIR/audit.jsonl for 0, DIR/audit.<n>.jsonl otherwise (spdlog's rotating-sink naming).
std::string audit_file_path(const std::string& dir, std::size_t index);

struct AuditFileRef {
  std::string path;
  std::string name;   // file name only, for messages ("audit.2.jsonl")
  std::size_t index;  // 0 = newest
};
// Present audit files, OLDEST FIRST. nullopt (error set) if the directory cannot be read.
std::optional<std::vector<AuditFileRef>> list_audit_files(const std::string& dir, std::string& error);

// Whole file; nullopt (error set, naming the file) on failure.
std::optional<std::string> read_whole_file(const std::string& path, std::string& error);

struct ChainTail {
  std::optional<std::string> last_hash;  // hash of the newest complete entry, if any
  std::string last_entry;                // that entry's line
  // The torn write after that entry: audit.jsonl's last line when it has no newline and is not
  // an entry (at most one), without "\n". Only this is recorded as torn: a crash leaves no
  // newline, so a complete line that is not an entry was put there by something else.
  std::vector<std::string> junk;
  // Complete lines after the newest entry that are not entries. They are not recorded (the
  // chain goes on from the entry before them), so `audit verify` reports them.
  std::size_t stray_lines = 0;
  bool needs_newline = false;  // audit.jsonl does not end with a newline
  // audit.jsonl's last line when it has no newline yet has an entry's shape: a crash between an
  // entry and its newline, or a line someone appended. last_hash is then the entry before it; the
  // writer adopts it only if it links to last_hash and its hash checks out, else it is torn junk.
  std::optional<std::string> unterminated_entry;
};
// Reads backwards from the newest file to the newest complete entry. Only regular files are read.
std::optional<ChainTail> scan_chain_tail(const std::string& dir, std::string& error);

}  // namespace toolgate
