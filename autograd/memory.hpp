#pragma once
// How tapegrad allocates memory: the C library's allocator, tuned for a training step's pattern, and
// a per-thread cache of small blocks in front of it.
//
// A step allocates and frees the same large buffers (activations, gradients) every time. glibc's
// malloc hands blocks above 128 KiB back to the kernel when they are freed, so every step faults
// them in again as fresh zeroed pages: 15,000 page faults and 10-20% of a char-LSTM step (W1 in
// bench/). When the library loads, tapegrad therefore raises glibc's mmap threshold to its maximum
// (32 MiB) and its trim threshold to 1 GiB: freed memory stays in the process for the next step.
// Peak RSS does not grow, since what is kept is what the previous step used; it is just not returned
// to the system until the process ends. It also turns glibc's fast bins off (memory.cpp says why).
//
// Every op on a small tensor allocates small arrays (its value, then its gradients) and its backward
// frees them. BufferAllocator, the allocator of tapegrad's arrays, keeps the freed blocks of up to
// 1 KiB in a cache per thread, up to 16 MiB a thread, and hands them out again: an op on a 1x16
// tensor (W6) takes a quarter less time. Blocks are 64-byte aligned whatever their size. Tensors'
// handles and tape nodes stay with malloc: cached among the activations' large blocks, they kept
// large free chunks apart and cost W3 5% of its peak RSS.
//
// To keep glibc's own settings and no cache, set TAPEGRAD_MALLOC=system, or set any glibc.malloc
// tunable in GLIBC_TUNABLES (tapegrad then assumes the settings are yours). Builds with the address
// or thread sanitizer have no cache, so that they see every block's use.

#include <cstddef>
#include <new>

namespace tg {

/// True when tapegrad's allocator settings are in force: on glibc, unless opted out as above.
bool malloc_tuned();

namespace detail {
/// Applies the settings unless opted out; returns malloc_tuned(). Runs once when the library loads.
bool tune_malloc();

/// A 64-byte aligned block of at least `bytes` bytes, from this thread's cache when it has one.
void* allocate_block(std::size_t bytes);
/// Gives back a block of allocate_block(bytes), on any thread.
void free_block(void* block, std::size_t bytes) noexcept;
/// Whether freed small blocks are kept for reuse (not under TAPEGRAD_MALLOC=system or a sanitizer).
bool blocks_cached();
}  // namespace detail

/// The allocator of tapegrad's arrays (xt::xarray<T>, autograd/xt.hpp): 64-byte aligned blocks,
/// the small ones recycled per thread. Stateless: every instance is interchangeable.
template <class T>
class BufferAllocator {
 public:
  using value_type = T;

  BufferAllocator() noexcept = default;
  template <class U>
  BufferAllocator(const BufferAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(detail::allocate_block(n * sizeof(T)));
  }
  void deallocate(T* block, std::size_t n) noexcept { detail::free_block(block, n * sizeof(T)); }

  template <class U>
  bool operator==(const BufferAllocator<U>&) const noexcept { return true; }
};

}  // namespace tg
