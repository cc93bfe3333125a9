// The policy file: parse_config (every section toolgate parses itself, the plugins trust fields
// included) and the identity section's parser. Key files are never read here: a fuzzed path
// could name a device that blocks.
#include <string>

#include "app/config.hpp"
#include "fuzz_targets.hpp"
#include "identity/identity_config.hpp"

namespace toolgate::fuzz {

int policy(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  JsonErrors errors;
  auto config = parse_config(text, "/etc/toolgate/policy.json", errors);
  if (!config) return 0;
  const boost::json::value* id = config->raw.if_contains("identity");
  JsonErrors id_errors;
  JsonObjectReader reader(id && id->is_object() ? &id->get_object() : nullptr, "$.identity", id_errors);
  (void)parse_identity_config(reader, config->base_dir);
  return 0;
}

}  // namespace toolgate::fuzz
