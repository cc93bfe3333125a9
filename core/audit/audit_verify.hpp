// Offline verification of an audit directory (`toolgate audit verify DIR`): reads every present
// file oldest first (audit.<highest>.jsonl ... audit.1.jsonl, audit.jsonl), recomputes every
// entry's hash and follows the prev links. Detects edited entries (hash mismatch), deleted ones
// (a link to a hash that is not there), inserted ones (duplicates, foreign lines, links that skip
// an entry) and reordered ones (links to an entry further on), naming file and line.
// Tolerated and reported as notes, not failures: a chain that starts mid-way (the oldest files
// were rotated away), torn lines from interrupted writes that a later audit_recovered entry
// commits to, and incomplete lines after the last entry (a crash). Truncation of the newest
// entries cannot be seen from the files alone; the taps give an outside copy for that.
// Pure function of the files; safe to run while toolgate writes (it sees a prefix).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace toolgate {

struct VerifyReport {
  bool ok = true;              // no problems
  bool unreadable = false;     // the directory or a file could not be read (problems say which)
  std::size_t entries = 0;     // entries checked
  std::size_t files = 0;       // files read
  std::vector<std::string> problems;  // "audit.jsonl:12: ..." evidence of tampering or damage
  std::vector<std::string> notes;     // tolerated conditions, same format
};

// hmac_key: the key bytes (see load_hmac_key) when the log was written with hmacKeyFile.
VerifyReport verify_audit_dir(const std::string& dir, const std::optional<std::string>& hmac_key);

}  // namespace toolgate
