// Audit files as `toolgate audit verify` reads them: the input becomes audit.jsonl (and, after a
// form feed byte, audit.1.jsonl: an older rotated file) in a scratch directory. If the first
// byte is odd the harness first recomputes each line's hash, so fuzzed entries also reach the
// link checks that a forged-looking hash would otherwise stop at.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "audit/audit_verify.hpp"
#include "audit/chain.hpp"
#include "fuzz_targets.hpp"

namespace toolgate::fuzz {

namespace {

// Removed again when the process exits normally (the replay test); a fuzzer that crashes leaves it.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    path = (std::filesystem::temp_directory_path() / ("toolgate-fuzz-audit-" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

const std::string& scratch_dir() {
  static const ScratchDir dir;
  return dir.path;
}

std::string rehash(const std::string& text) {
  static ChainHasher hasher;  // link() reuses its digest contexts
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (auto split = split_entry_line(line)) {
      // prev is whatever the entry says; only the hash is made consistent with the contents.
      std::size_t at = line.rfind(split->hash);
      std::string prev;
      if (std::size_t p = split->canonical.find("\"prev\":\""); p != std::string::npos && p + 8 + 64 <= split->canonical.size())
        prev = split->canonical.substr(p + 8, 64);
      if (at != std::string::npos) line.replace(at, split->hash.size(), hasher.link(prev, split->canonical));
    }
    out += line;
    if (nl != std::string::npos) out += '\n';
  }
  return out;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

}  // namespace

int audit_verify(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) text = rehash(text);
  const std::string& dir = scratch_dir();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) std::filesystem::remove(e.path(), ec);
  std::size_t ff = text.find('\f');
  if (ff != std::string::npos) {
    write(dir + "/audit.1.jsonl", text.substr(0, ff));
    text = text.substr(ff + 1);
  }
  write(dir + "/audit.jsonl", text);
  (void)verify_audit_dir(dir, std::nullopt);
  (void)verify_audit_dir(dir, std::string("0123456789abcdef0123456789abcdef"));
  return 0;
}

}  // namespace toolgate::fuzz
