#include "protocol/versions.hpp"

#include <algorithm>

namespace toolgate {

const std::vector<std::string>& initialize_versions() {
  static const std::vector<std::string> v = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"};
  return v;
}

bool is_supported_version(std::string_view v) {
  const auto& all = initialize_versions();
  return std::find(all.begin(), all.end(), v) != all.end();
}

std::string negotiate_version(std::string_view requested) {
  return is_supported_version(requested) ? std::string(requested) : std::string(kLatestInitializeVersion);
}

VersionFeatures features_of(std::string_view version) {
  VersionFeatures f;
  f.annotations = version >= "2025-03-26";
  f.batches = version == "2025-03-26";
  f.title = version >= "2025-06-18";
  f.elicitation = version >= "2025-06-18";
  f.icons = version >= "2025-11-25";
  f.execution = version == "2025-11-25";
  return f;
}

}  // namespace toolgate
