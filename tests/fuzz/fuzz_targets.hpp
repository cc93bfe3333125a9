// The bodies of toolgate's libFuzzer targets, one per input path that takes hostile bytes:
// JSON-RPC framing and parsing, plugin manifests (and `manifest lint`), the policy file, JWTs and
// audit files. They are shared by the fuzzers (fuzz_main.cpp, built with clang when TOOLGATE_FUZZ
// is ON) and by tests/unit/trust/fuzz_replay_test.cpp, which feeds every seed in corpus/<target>/
// and every crash reproducer in regressions/<target>/ through the ordinary and sanitizer builds.
// Each body returns 0 and must neither crash, leak nor trip a sanitizer on any input. They keep
// process-wide state only in function-local statics (keys, a scratch directory); not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace toolgate::fuzz {

using Body = int (*)(const std::uint8_t* data, std::size_t size);

int jsonrpc(const std::uint8_t* data, std::size_t size);
int manifest(const std::uint8_t* data, std::size_t size);
int lint(const std::uint8_t* data, std::size_t size);
int policy(const std::uint8_t* data, std::size_t size);
int jwt(const std::uint8_t* data, std::size_t size);
#ifdef TOOLGATE_FUZZ_HAVE_AUDIT
int audit_verify(const std::uint8_t* data, std::size_t size);
#endif

struct Target {
  const char* name;  // also the corpus/<name> and regressions/<name> directory
  Body body;
};

inline constexpr Target kTargets[] = {
    {"jsonrpc", jsonrpc}, {"manifest", manifest}, {"lint", lint}, {"policy", policy}, {"jwt", jwt},
#ifdef TOOLGATE_FUZZ_HAVE_AUDIT
    {"audit_verify", audit_verify},
#endif
};

}  // namespace toolgate::fuzz
