#include "autograd/memory.hpp"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tg {
namespace {

constexpr int kMmapThreshold = 32 << 20;  // glibc's upper limit on 64-bit systems
constexpr int kTrimThreshold = 1 << 30;
constexpr int kMaxFastChunk = 0;  // no fast bins (see tune_malloc)

bool opted_out() {
  const char* choice = std::getenv("TAPEGRAD_MALLOC");
  if (choice && std::string_view(choice) == "system") return true;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::string_view(tunables).find("glibc.malloc.") != std::string_view::npos) return true;
  return std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_");
}

bool tuned = false;

}  // namespace

bool malloc_tuned() { return tuned; }

namespace detail {

bool tune_malloc() {
#if defined(__GLIBC__)
  // Fast bins off: tensors' buffers come from posix_memalign (64-byte aligned), which splits
  // chunks and, with fast bins in use, runs malloc_consolidate over them again and again; an op on
  // a small tensor (W6) spent 7% of its time there and takes a quarter less time without them
  // (bench/RESULTS.md). Small blocks still go through the per-thread cache first.
  if (!opted_out())
    tuned = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1 &&
            mallopt(M_MXFAST, kMaxFastChunk) == 1;
#endif
  return tuned;
}

}  // namespace detail
}  // namespace tg
