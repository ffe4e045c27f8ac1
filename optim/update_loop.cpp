#include "optim/update_loop.hpp"

#include "autograd/parallel_for.hpp"

#include <tbb/blocked_range.h>

#include <algorithm>
#include <vector>

namespace tg::optim::detail {

std::size_t count_chunks(std::span<const std::size_t> sizes) {
  std::size_t total = 0;
  for (std::size_t n : sizes) total += (n + kChunk - 1) / kChunk;
  return total;
}

void for_each_chunk(std::span<const std::size_t> sizes,
                    const std::function<void(std::size_t, std::size_t, std::size_t, std::size_t)>& f) {
  struct Chunk {
    std::size_t item, begin, end;
  };
  std::vector<Chunk> chunks;
  chunks.reserve(count_chunks(sizes));
  for (std::size_t k = 0; k < sizes.size(); ++k)
    for (std::size_t b = 0; b < sizes[k]; b += kChunk) chunks.push_back({k, b, std::min(sizes[k], b + kChunk)});
  if (chunks.size() == 1) {  // one small tensor: no task overhead
    f(chunks[0].item, chunks[0].begin, chunks[0].end, 0);
    return;
  }
  tg::detail::parallel_for(tbb::blocked_range<std::size_t>(0, chunks.size()), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t c = r.begin(); c != r.end(); ++c) f(chunks[c].item, chunks[c].begin, chunks[c].end, c);
  });
}

}  // namespace tg::optim::detail
