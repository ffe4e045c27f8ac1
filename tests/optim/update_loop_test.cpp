// The chunked parallel loop: every element exactly once, chunk indices in order.
#include "support/support.hpp"

#include "optim/update_loop.hpp"

#include <atomic>

namespace tg::optim::detail {
namespace {

TEST(UpdateLoop, VisitsEveryElementOnceInFixedChunks) {
  const std::vector<std::size_t> sizes{0, 5, kChunk, 2 * kChunk + 3};
  EXPECT_EQ(count_chunks(sizes), 1u + 1u + 3u);
  std::vector<std::vector<std::atomic<int>>> hits;
  for (std::size_t n : sizes) hits.emplace_back(n);
  std::vector<std::atomic<int>> chunk_seen(count_chunks(sizes));
  for_each_chunk(sizes, [&](std::size_t k, std::size_t begin, std::size_t end, std::size_t chunk) {
    EXPECT_EQ(begin % kChunk, 0u);
    EXPECT_LE(end - begin, kChunk);
    for (std::size_t i = begin; i < end; ++i) ++hits[k][i];
    ++chunk_seen[chunk];
  });
  for (const auto& h : hits)
    for (const auto& count : h) EXPECT_EQ(count.load(), 1);
  for (const auto& c : chunk_seen) EXPECT_EQ(c.load(), 1);
}

}  // namespace
}  // namespace tg::optim::detail
