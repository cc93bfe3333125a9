// Plugin manifests: the strict parser, the publisher-signature check (against a fixed trusted
// key, so signed seeds verify and mutations exercise every refusal), pinned definitions, the
// JSON locator and in-place editing used by `manifest hash` and `plugin sign`, and lint.
#include <boost/json.hpp>

#include <string>

#include "fuzz_targets.hpp"
#include "registry/description_hygiene.hpp"
#include "registry/json_locator.hpp"
#include "registry/lint.hpp"
#include "registry/manifest.hpp"
#include "registry/signature.hpp"
#include "registry/tool_pins.hpp"

namespace toolgate::fuzz {

int manifest(const std::uint8_t* data, std::size_t size) {
  // The public half of tests/fuzz/corpus/manifest's signing key (see corpus/README.md).
  static const TrustPolicy trust = [] {
    std::string error;
    TrustPolicy t;
    t.require_signed = true;
    if (auto k = parse_public_key("k2TJnmL9j/SNZg/D5uaIficcVCtaPjr982jrb8YcvM0=", "fuzz", error)) t.publishers.push_back(*k);
    return t;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  JsonErrors errors;
  if (auto m = parse_manifest(text, "fuzz.json", errors)) {
    for (const auto& t : m->tools) (void)tool_definition(t);
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text, ec);
    if (!ec && doc.is_object()) (void)check_manifest_trust(doc.get_object(), trust);
  }
  JsonLocator loc(text);
  if (const JsonLocation* l = loc.nearest("$.tools[0].inputSchema.properties")) (void)loc.position(l->begin);
  (void)set_top_level_member(text, "sha256", "\"0\"", "library");
  return 0;
}

int lint(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& f : lint_manifest(text)) (void)format_finding("fuzz.json", f);
  (void)description_problems(text, {true, true});
  return 0;
}

}  // namespace toolgate::fuzz
