// Deterministic train/validation splits.
#include "support/support.hpp"

#include <set>

namespace tg::data {
namespace {

TEST(Split, TailIsValidation) {
  std::vector<int> stream(10);
  std::iota(stream.begin(), stream.end(), 0);
  auto [train, valid] = split_tail(stream, 0.25);
  EXPECT_EQ(train, (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));  // floor(10 * 0.75) = 7
  EXPECT_EQ(valid, (std::vector<int>{7, 8, 9}));
  EXPECT_EQ(train_count(1115394, 0.1), 1003854u);  // nanoGPT's int(0.9 * len(data)) on tinyshakespeare
  EXPECT_EQ(split_tail(stream, 0.0).second.size(), 0u);
  EXPECT_THROW(split_tail(stream, 1.0), ValueError);
  EXPECT_THROW(split_tail(stream, -0.1), ValueError);
}

TEST(Split, ShuffledSplitIsSeededAndDisjoint) {
  std::vector<std::string> pairs;
  for (int i = 0; i < 50; ++i) pairs.push_back(std::to_string(i));
  auto [train, valid] = split_shuffled(pairs, 0.2, 3);
  EXPECT_EQ(train.size(), 40u);
  EXPECT_EQ(valid.size(), 10u);
  std::set<std::string> all(train.begin(), train.end());
  all.insert(valid.begin(), valid.end());
  EXPECT_EQ(all.size(), 50u);
  EXPECT_EQ(split_shuffled(pairs, 0.2, 3).second, valid);
  EXPECT_NE(split_shuffled(pairs, 0.2, 4).second, valid);
  Generator g(3);
  const auto order = random_permutation(50, g);
  EXPECT_EQ(split_indices(50, 0.2, 3).second, std::vector<std::size_t>(order.begin() + 40, order.end()));
}

}  // namespace
}  // namespace tg::data
