// Who a call runs as. Produced by identity/ from the caller's credential, consumed by policy
// (scopes, rate limits), audit (actor, tenant) and plugins (through tg_host_api.get_principal).
// Plain value type; copy freely across threads.
#pragma once

#include <string>
#include <vector>

namespace toolgate {

struct Principal {
  std::string subject;               // e.g. "alice@example.com"
  std::string tenant;                // e.g. "acme"
  std::vector<std::string> scopes;   // grants, exact or wildcard ("dns.*", "*.read", "*")
  std::string credential_kind;       // "api_key", "jwt" or "anonymous"
  std::string credential_id;         // public key id or JWT jti/kid; never the secret itself
};

}  // namespace toolgate
