// libFuzzer entry point; TOOLGATE_FUZZ_BODY names the body (fuzz_targets.hpp) this fuzzer drives.
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return toolgate::fuzz::TOOLGATE_FUZZ_BODY(data, size);
}
