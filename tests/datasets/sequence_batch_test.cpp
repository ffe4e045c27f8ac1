// Padding, truncation, valid lengths and masks.
#include "support/support.hpp"

namespace tg::data {
namespace {

TEST(SequenceBatch, TruncatePadAsD2l) {
  EXPECT_EQ(truncate_pad({47, 4}, 5, 1), (std::vector<Index>{47, 4, 1, 1, 1}));
  EXPECT_EQ(truncate_pad({1, 2, 3, 4, 5, 6}, 4, 0), (std::vector<Index>{1, 2, 3, 4}));
}

TEST(SequenceBatch, PadsTruncatesAndMasks) {
  auto b = pad_sequences({{5, 6, 7}, {8}, {1, 2, 3, 4, 5, 6}, {}}, 4, 0, Layout::BatchMajor);
  EXPECT_EQ(b.layout, Layout::BatchMajor);
  EXPECT_EQ(b.tokens, (IndexArray{{5, 6, 7, 0}, {8, 0, 0, 0}, {1, 2, 3, 4}, {0, 0, 0, 0}}));
  EXPECT_EQ(b.valid_lens, (IndexArray{3, 1, 4, 0}));
  EXPECT_EQ(b.mask, (Mask{{true, true, true, false}, {true, false, false, false}, {true, true, true, true},
                          {false, false, false, false}}));
}

// Time-major (num_steps, batch) by default, as the recurrent layers and torch's pad_sequence.
TEST(SequenceBatch, LongestAndTimeMajorAndSubset) {
  const std::vector<std::vector<Index>> seqs{{5, 6, 7}, {8}, {9, 9, 9, 9}};
  auto longest = pad_sequences(seqs, 0, -1, Layout::BatchMajor);
  EXPECT_EQ(longest.tokens.shape(), (std::vector<std::size_t>{3, 4}));
  auto tm = pad_sequences(seqs, 0, -1);
  EXPECT_EQ(tm.layout, Layout::TimeMajor);
  EXPECT_EQ(tm.tokens, IndexArray(xt::transpose(longest.tokens)));
  EXPECT_EQ(tm.mask, Mask(xt::transpose(longest.mask)));
  EXPECT_EQ(tm.valid_lens, longest.valid_lens);
  auto subset = pad_sequences(seqs, std::vector<std::size_t>{2, 1}, 0, -1, Layout::BatchMajor);
  EXPECT_EQ(subset.tokens, (IndexArray{{9, 9, 9, 9}, {8, -1, -1, -1}}));
  EXPECT_THROW(pad_sequences(seqs, std::vector<std::size_t>{3}, 0, -1), ValueError);
  EXPECT_EQ(length_mask(IndexArray{2, 0}, 3), (Mask{{true, false}, {true, false}, {false, false}}));
  EXPECT_EQ(length_mask(IndexArray{2, 0}, 3, Layout::BatchMajor), (Mask{{true, true, false}, {false, false, false}}));
}

}  // namespace
}  // namespace tg::data
