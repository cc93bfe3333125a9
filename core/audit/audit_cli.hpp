// `toolgate audit ...`: the auditor's terminal commands over an audit directory.
//   audit verify DIR [--hmac-key-file FILE]    exit 0 intact, 1 tampering/damage, 2 usage or I/O
//   audit tail DIR [-n N]                       last N entries (default 10), one line each
//   audit query DIR [--actor A] [--tenant T] [--tool NAME|PREFIX*] [--outcome O]
//                   [--since RFC3339|30s|15m|2h|7d] [--json]
// Human lines read "TIME  ACTOR@TENANT  TOOL  OUTCOME  LATENCYms[  ERRORCODE]"; --json prints the
// stored lines unchanged (pipe into jq). Reads files only; safe while toolgate writes.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace toolgate {

// `args` are the words after `toolgate audit` (a leading "audit" is skipped too).
int run_audit_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace toolgate
