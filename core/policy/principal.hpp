// Who a call runs as. Produced by identity/ from the caller's credential, consumed by policy
// (scopes, rate limits), audit (actor, tenant) and plugins (through tg_host_api.get_principal).
// Plain value type; copy freely across threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

struct Principal {
  std::string subject;               // e.g. "alice@example.com"
  std::string tenant;                // e.g. "acme"
  std::vector<std::string> scopes;   // grants, exact or wildcard ("dns.*", "*.read", "*")
  std::string credential_kind;       // "api_key", "jwt" or "anonymous"
  std::string credential_id;         // public key id or JWT jti/kid; never the secret itself
};

// Why `name` cannot be a subject or tenant, or nullopt if it can. A NUL or other control
// character would make one name read differently in different places: the policy compares
// whole strings, while a plugin gets a C string cut at the first NUL, so a tenant "acme\u0000x"
// would escape acme's rules yet reach acme's data (and a newline would forge log lines).
inline std::optional<std::string> principal_name_problem(std::string_view name) {
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "contains a control character (byte " + std::to_string(static_cast<unsigned char>(c)) + ")";
  return std::nullopt;
}

}  // namespace toolgate
