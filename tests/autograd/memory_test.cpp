// tapegrad's block cache (autograd/memory.hpp): small blocks freed on a thread are handed out again
// on it, every block is 64-byte aligned and as large as asked, the cache keeps at most 16 MiB a
// thread, and a thread that exits gives its cached blocks back.
#include "support/support.hpp"

#include <malloc.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace tg {
namespace {

constexpr std::size_t kKiB = 1 << 10, kMiB = 1 << 20;

bool cache_testable() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return false;
#else
  return detail::blocks_cached();
#endif
}

#define SKIP_WITHOUT_CACHE()                                                                           \
  if (!cache_testable())                                                                               \
  GTEST_SKIP() << "no block cache in this process (a sanitizer build, or TAPEGRAD_MALLOC=system)"

// Bytes the C library has handed out and not been given back, over all arenas.
std::size_t bytes_in_use() { return mallinfo2().uordblks; }

// Allocates `count` blocks of `bytes` and frees them all: the cache keeps them, up to its limit.
void allocate_and_free(std::size_t count, std::size_t bytes) {
  std::vector<void*> blocks(count);
  for (void*& block : blocks) block = detail::allocate_block(bytes);
  for (void* block : blocks) detail::free_block(block, bytes);
}

TEST(BlockCache, ASmallBlockFreedIsHandedOutAgainForAnyRequestOfItsClass) {
  SKIP_WITHOUT_CACHE();
  void* block = detail::allocate_block(100);  // the 128-byte class
  detail::free_block(block, 100);
  void* other_class = detail::allocate_block(200);
  EXPECT_NE(other_class, block);
  void* same_class = detail::allocate_block(65);
  EXPECT_EQ(same_class, block);
  detail::free_block(other_class, 200);
  detail::free_block(same_class, 65);
}

TEST(BlockCache, EveryBlockIs64ByteAlignedAndHoldsWhatWasAsked) {
  // Twice over the sizes: the second pass gets the blocks the first one freed.
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t bytes = 0; bytes <= 3 * kKiB; bytes += 7) {
      auto* block = static_cast<unsigned char*>(detail::allocate_block(bytes));
      ASSERT_EQ(reinterpret_cast<std::uintptr_t>(block) % 64, 0u) << bytes << " bytes";
      std::memset(block, 0xab, bytes);
      detail::free_block(block, bytes);
    }
}

TEST(BlockCache, KeepsAtMost16MiBAThreadAndGivesThemBackWhenTheThreadExits) {
  SKIP_WITHOUT_CACHE();
  // 24 MiB of 1 KiB blocks freed: the cache keeps 16 MiB of them (with the C library's few bytes
  // of overhead a block), the rest go back. The main thread has cached almost nothing else yet.
  const std::size_t before = bytes_in_use();
  allocate_and_free(24 * kKiB, kKiB);
  const std::size_t kept_here = bytes_in_use() - before;
  EXPECT_GT(kept_here, 14 * kMiB) << "the cache kept too little: did it keep anything?";
  EXPECT_LT(kept_here, 18 * kMiB) << "the cache kept more than its limit";

  // The same on a thread that then exits: its cache is flushed.
  const std::size_t before_thread = bytes_in_use();
  std::thread([] { allocate_and_free(24 * kKiB, kKiB); }).join();
  EXPECT_LT(bytes_in_use(), before_thread + kMiB) << "an exited thread's cached blocks were not given back";
}

TEST(BlockCache, BlocksFreedAfterTheirThreadsCacheIsFlushedGoBackToTheCLibrary) {
  // Thread-local tensors made before the thread's first free outlive the cache's flush at thread
  // exit (thread_locals are destroyed in reverse order); their blocks must go to the C library, not
  // into the flushed cache, where nothing would ever free them (about 1 MB here).
  const std::size_t before = bytes_in_use();
  std::thread([] {
    thread_local std::vector<Tensor> kept;
    for (int i = 0; i < 2000; ++i) kept.push_back(ones({1, 16}));
    Tensor sum = kept[0] + kept[1];  // frees blocks on this thread: the flush is registered now
  }).join();
  EXPECT_LT(bytes_in_use(), before + 256 * kKiB);
}

TEST(BlockCache, ArraysAndTensorsUseTheCache) {
  static_assert(std::is_same_v<xt::xarray<float>::allocator_type, BufferAllocator<float>>);
  static_assert(std::is_same_v<xt::xtensor<double, 2>::allocator_type, BufferAllocator<double>>);
  SKIP_WITHOUT_CACHE();
  const void* freed = nullptr;
  {
    Tensor t = ones({1, 16});
    freed = t.data<float>().data();
  }
  Tensor again = zeros({4, 4});  // 64 bytes: the class of the buffer just freed
  EXPECT_EQ(again.data<float>().data(), freed);
}

}  // namespace
}  // namespace tg
