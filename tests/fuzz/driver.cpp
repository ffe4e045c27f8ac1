// libFuzzer entry point for one target of targets.hpp, chosen at build time by
// TAPEGRAD_FUZZ_TARGET (see tests/fuzz/CMakeLists.txt). Anything but tg::Error escapes and is
// reported by libFuzzer as a crash.
#include "fuzz/targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tg::fuzz::Target target = tg::fuzz::targets().at(TAPEGRAD_FUZZ_TARGET);
  try {
    target(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const tg::Error&) {
    // Rejecting bad input with a tapegrad error is the expected outcome.
  }
  return 0;
}
