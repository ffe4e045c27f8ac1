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

TEST(UpdateLoop, VectorizedCoversBodyAndTail) {
  std::vector<float> x(37, 1.0f);
  vectorized<float>(3, 37, [&](auto zero, std::size_t i) {
    using V = decltype(zero);
    store_at(x.data() + i, vsqrt(load_at<V>(x.data() + i) * V(4.0f)) + vmax(V(0.0f), V(1.0f)));
  });
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], i < 3 ? 1.0f : 3.0f) << i;
}

}  // namespace
}  // namespace tg::optim::detail
