#include "autograd/memory.hpp"

#include <atomic>
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

// The block cache (memory.hpp). Sanitizers must see every block freed and allocated.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kCacheBuilt = false;
#else
constexpr bool kCacheBuilt = true;
#endif
constexpr std::size_t kAlignment = 64;  // and the step between size classes
constexpr std::size_t kCachedClasses = 16;  // blocks of 64, 128, ..., 1024 bytes
constexpr std::size_t kLargestCached = kCachedClasses * kAlignment;
constexpr std::size_t kCacheLimit = 16 << 20;  // bytes kept per thread

struct FreeBlock {
  FreeBlock* next;
};

// Trivially destructible, so that it stays usable while the thread's other thread_locals are
// destroyed: blocks freed then go back to the C library.
struct BlockCache {
  FreeBlock* head[kCachedClasses];
  std::size_t bytes;  // held in all classes
  bool flush_registered;
  bool flushed;       // the thread is exiting
};
constinit thread_local BlockCache cache{};
std::atomic<bool> cache_on{false};  // set when the library loads

std::size_t size_class(std::size_t bytes) { return bytes == 0 ? 0 : (bytes - 1) / kAlignment; }
std::size_t class_bytes(std::size_t size_class) { return (size_class + 1) * kAlignment; }

// Gives the thread's cached blocks back to the C library when the thread exits.
void flush_at_thread_exit() {
  thread_local struct Flush {
    ~Flush() {
      for (FreeBlock*& head : cache.head)
        while (FreeBlock* block = head) {
          head = block->next;
          std::free(block);
        }
      cache.bytes = 0;
      cache.flushed = true;
    }
  } flush;
  cache.flush_registered = true;
}

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
  const bool ours = !opted_out();
#if defined(__GLIBC__)
  // Fast bins off: tensors' buffers come from posix_memalign (64-byte aligned), which splits
  // chunks and, with fast bins in use, runs malloc_consolidate over them again and again; an op on
  // a small tensor (W6) spent 7% of its time there and takes a quarter less time without them
  // (bench/RESULTS.md). Small objects from malloc still go through glibc's per-thread cache first;
  // small arrays through tapegrad's block cache (allocate_block).
  if (ours)
    tuned = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1 &&
            mallopt(M_MXFAST, kMaxFastChunk) == 1;
#endif
  cache_on.store(kCacheBuilt && ours, std::memory_order_relaxed);
  return tuned;
}

bool blocks_cached() { return cache_on.load(std::memory_order_relaxed); }

void* allocate_block(std::size_t bytes) {
  if (kCacheBuilt && bytes <= kLargestCached) {
    const std::size_t c = size_class(bytes);
    FreeBlock*& head = cache.head[c];
    if (FreeBlock* block = head) {
      head = block->next;
      cache.bytes -= class_bytes(c);
      return block;
    }
    // Every small block has its class's full size, whether or not the cache is on yet, so that
    // any block of a class can serve any request of it.
    bytes = class_bytes(c);
  }
  void* block = nullptr;
  if (posix_memalign(&block, kAlignment, bytes) != 0) throw std::bad_alloc();
  return block;
}

void free_block(void* block, std::size_t bytes) noexcept {
  if (!block) return;
  if (kCacheBuilt && bytes <= kLargestCached && blocks_cached() && !cache.flushed) {
    const std::size_t c = size_class(bytes);
    if (cache.bytes + class_bytes(c) <= kCacheLimit) {
      if (!cache.flush_registered) flush_at_thread_exit();
      FreeBlock*& head = cache.head[c];
      auto* freed = static_cast<FreeBlock*>(block);
      freed->next = head;
      head = freed;
      cache.bytes += class_bytes(c);
      return;
    }
  }
  std::free(block);
}

}  // namespace detail
}  // namespace tg
