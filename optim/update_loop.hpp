#pragma once
// How an optimizer update runs over memory: every tensor is cut into fixed chunks, the chunks run
// under TBB, and each chunk is one SIMD pass (update_kernels.hpp). Chunk boundaries depend only on the tensor sizes, never
// on the thread count, so every element is computed by the same instructions whatever the
// partitioning: results are bitwise identical for 1, 2 or N threads.
#include <cstddef>
#include <functional>
#include <span>

namespace tg::optim::detail {

/// Elements per chunk: a chunk of Adam moves ~1.8 MB, so a task's overhead is noise, while a
/// 1M-parameter tensor still splits into 16 tasks for the cores. Smaller tensors are never split.
inline constexpr std::size_t kChunk = std::size_t{1} << 16;

/// Number of chunks for tensors of `sizes` elements (an empty tensor has none).
std::size_t count_chunks(std::span<const std::size_t> sizes);

/// Calls `f(item, begin, end, chunk)` for every chunk of every item, in parallel. `chunk` counts the
/// chunks in order (item 0's first), so per-chunk partial results can be combined in a fixed order.
///
///     for_each_chunk(sizes, [&](std::size_t k, std::size_t b, std::size_t e, std::size_t) { ... });
void for_each_chunk(std::span<const std::size_t> sizes,
                    const std::function<void(std::size_t, std::size_t, std::size_t, std::size_t)>& f);

}  // namespace tg::optim::detail
