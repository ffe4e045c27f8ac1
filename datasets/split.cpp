#include "datasets/split.hpp"

#include "autograd/error.hpp"
#include "datasets/shuffle.hpp"

#include <cmath>

namespace tg::data {

std::size_t train_count(std::size_t n, double valid_fraction) {
  if (!(valid_fraction >= 0 && valid_fraction < 1))
    fail<ValueError>("split: valid_fraction must be in [0, 1), got {}", valid_fraction);
  return static_cast<std::size_t>(std::floor(static_cast<double>(n) * (1 - valid_fraction)));
}

std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_indices(std::size_t n, double valid_fraction,
                                                                            std::uint64_t seed) {
  const std::size_t cut = train_count(n, valid_fraction);
  Generator generator(seed);
  std::vector<std::size_t> order = random_permutation(n, generator);
  std::vector<std::size_t> valid(order.begin() + static_cast<std::ptrdiff_t>(cut), order.end());
  order.resize(cut);
  return {std::move(order), std::move(valid)};
}

}  // namespace tg::data
