#include "audit/audit_files.hpp"

#include "audit/chain.hpp"
#include "util/regular_file.hpp"

#include <boost/json.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace toolgate {

bool is_entry_line(std::string_view line, std::string* hash) {
  auto split = split_entry_line(line);
  if (!split) return false;
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return false;
  if (hash) *hash = split->hash;
  return true;
}

namespace {

// Walks `text` backwards line by line until an entry; lines that are not entries are collected
// (newest first) into `junk`. A window that starts mid-file has a partial first line that is
// not looked at; then false means "read more".
// An unterminated last line that looks like an entry is set aside in tail.unterminated_entry
// (the writer checks its link before trusting it) and the walk goes on to the entry before it.
bool walk_back(std::string_view text, bool starts_at_line, ChainTail& tail, std::vector<std::string>& junk) {
  std::size_t end = text.size();
  bool unterminated = false;
  if (!text.empty() && text.back() == '\n') --end;
  else if (text.empty()) return false;
  else unterminated = tail.needs_newline && !tail.unterminated_entry;
  for (;;) {
    std::size_t nl = end == 0 ? std::string_view::npos : text.rfind('\n', end - 1);
    if (nl == std::string_view::npos && !starts_at_line) return false;
    std::size_t from = nl == std::string_view::npos ? 0 : nl + 1;
    std::string_view line = text.substr(from, end - from);
    std::string hash;
    bool entry = is_entry_line(line, &hash);
    if (entry && unterminated) {
      tail.unterminated_entry = std::string(line);
    } else if (entry) {
      tail.last_hash = hash;
      tail.last_entry = std::string(line);
      return true;
    } else {
      junk.emplace_back(line);
    }
    unterminated = false;
    if (nl == std::string_view::npos) return false;
    end = nl;
  }
}

// The last `max` bytes of a file (all of it when smaller); `whole` tells which.
std::optional<std::string> read_tail(const std::string& path, std::size_t max, bool& whole, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return std::nullopt;
  }
  std::size_t size = static_cast<std::size_t>(st.st_size);
  std::size_t want = std::min(size, max);
  whole = want == size;
  std::string out(want, '\0');
  std::size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd, out.data() + got, want - got, static_cast<off_t>(size - want + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read " + path + ": " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

constexpr std::size_t kTailWindow = 1 << 20;

}  // namespace

std::string audit_file_path(const std::string& dir, std::size_t index) {
  if (index == 0) return dir + "/" + kAuditFileName;
  return dir + "/audit." + std::to_string(index) + ".jsonl";
}

std::optional<std::vector<AuditFileRef>> list_audit_files(const std::string& dir, std::string& error) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    error = "cannot read directory " + dir + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<AuditFileRef> out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == kAuditFileName) {
      out.push_back({dir + "/" + name, name, 0});
      continue;
    }
    const std::string prefix = "audit.", suffix = ".jsonl";
    if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string num = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (num.size() > 9 || num[0] == '0' || num.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back({dir + "/" + name, name, static_cast<std::size_t>(std::stoul(num))});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const AuditFileRef& a, const AuditFileRef& b) { return a.index > b.index; });
  return out;
}

std::optional<std::string> read_whole_file(const std::string& path, std::string& error) {
  auto text = read_regular_file(path, SIZE_MAX, error);
  if (!text) error = "cannot read " + path + ": " + error;
  return text;
}

std::optional<ChainTail> scan_chain_tail(const std::string& dir, std::string& error) {
  auto files = list_audit_files(dir, error);
  if (!files) return std::nullopt;
  ChainTail tail;
  std::vector<std::string> junk;  // newest first while walking
  for (auto it = files->rbegin(); it != files->rend() && !tail.last_hash; ++it) {  // newest first
    struct stat st;
    if (::stat(it->path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    bool whole = false;
    auto text = read_tail(it->path, kTailWindow, whole, error);
    if (!text) return std::nullopt;
    if (it->index == 0 && !text->empty() && text->back() != '\n') tail.needs_newline = true;
    std::size_t before = junk.size();
    if (!walk_back(*text, whole, tail, junk) && !whole) {
      junk.resize(before);  // entries longer than the window: walk the whole file
      if (it->index == 0) tail.unterminated_entry.reset();
      text = read_whole_file(it->path, error);
      if (!text) return std::nullopt;
      walk_back(*text, true, tail, junk);
    }
  }
  // junk is newest first. When audit.jsonl ends without a newline, its last line was walked
  // first: if that line is junk, it is junk.front(), and the torn write; an entry there would
  // have ended the walk with no junk at all.
  if (!junk.empty() && tail.needs_newline && !tail.unterminated_entry) {
    tail.junk.push_back(std::move(junk.front()));
    tail.stray_lines = junk.size() - 1;
  } else {
    tail.stray_lines = junk.size();
  }
  return tail;
}

}  // namespace toolgate
