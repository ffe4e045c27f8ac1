#pragma once
// Seeded shuffling, the one place the datasets turn a Generator into an order.
#include "autograd/random.hpp"

#include <cstddef>
#include <numeric>
#include <utility>
#include <vector>

namespace tg::data {

/// Shuffles in place with Python's `random.shuffle` algorithm (Fisher-Yates from the back,
/// `j = below(i + 1)`), so a port of a d2l loop draws the same numbers in the same order.
///
///     tg::Generator g(42);  tg::data::shuffle(items, g);
template <class T>
void shuffle(std::vector<T>& items, Generator& generator) {
  for (std::size_t i = items.size(); i-- > 1;) std::swap(items[i], items[generator.below(i + 1)]);
}

/// 0..n-1 shuffled.
inline std::vector<std::size_t> random_permutation(std::size_t n, Generator& generator) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  shuffle(order, generator);
  return order;
}

}  // namespace tg::data
