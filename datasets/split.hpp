#pragma once
// Deterministic train/validation splits.
#include "autograd/random.hpp"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tg::data {

/// How many of n items go to training: floor(n * (1 - valid_fraction)), as nanoGPT's
/// `n = int(0.9 * len(data))`. ValueError unless 0 <= valid_fraction < 1.
std::size_t train_count(std::size_t n, double valid_fraction);

/// A token stream split in two: the head for training, the tail for validation (no shuffling,
/// so the validation text is contiguous and unseen).
///
///     auto [train, valid] = tg::data::split_tail(corpus.ids, 0.1);
template <class T>
std::pair<std::vector<T>, std::vector<T>> split_tail(const std::vector<T>& items, double valid_fraction) {
  const auto cut = items.begin() + static_cast<std::ptrdiff_t>(train_count(items.size(), valid_fraction));
  return {std::vector<T>(items.begin(), cut), std::vector<T>(cut, items.end())};
}

/// Indices of n examples split after a seeded shuffle: {train, valid}, each in shuffled order.
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_indices(std::size_t n, double valid_fraction,
                                                                            std::uint64_t seed);

/// Items (e.g. sentence pairs) split after a seeded shuffle.
///
///     auto [train, valid] = tg::data::split_shuffled(pairs, 0.1, /*seed=*/0);
template <class T>
std::pair<std::vector<T>, std::vector<T>> split_shuffled(const std::vector<T>& items, double valid_fraction,
                                                         std::uint64_t seed) {
  auto [train_rows, valid_rows] = split_indices(items.size(), valid_fraction, seed);
  std::pair<std::vector<T>, std::vector<T>> out;
  for (std::size_t i : train_rows) out.first.push_back(items[i]);
  for (std::size_t i : valid_rows) out.second.push_back(items[i]);
  return out;
}

}  // namespace tg::data
