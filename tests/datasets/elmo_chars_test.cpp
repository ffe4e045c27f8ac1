// ELMo character ids: the values of AllenNLP's own tests (test_elmo_indexer.py), truncation, masks
// and sentence boundaries as add_sentence_boundary_token_ids.
#include "support/support.hpp"

#include <datasets/elmo_chars.hpp>

namespace tg::data {
namespace {

// [259, ids..., 260, 261, 261, ...] as AllenNLP's tests write them (50 ids).
std::vector<Index> expected_word(std::vector<Index> inner) {
  std::vector<Index> ids{259};
  ids.insert(ids.end(), inner.begin(), inner.end());
  ids.push_back(260);
  ids.resize(50, 261);
  return ids;
}

std::vector<Index> as_vector(const IndexArray& a) { return {a.begin(), a.end()}; }

TEST(ElmoChars, IdsOfAllenNlpsTests) {
  EXPECT_EQ(as_vector(elmo_char_ids("<S>")), expected_word({257}));
  EXPECT_EQ(as_vector(elmo_char_ids("</S>")), expected_word({258}));
  EXPECT_EQ(as_vector(elmo_char_ids("Second")), expected_word({84, 102, 100, 112, 111, 101}));
  EXPECT_EQ(as_vector(elmo_char_ids(".")), expected_word({47}));
  EXPECT_EQ(as_vector(elmo_char_ids("\xc4\x80t")), expected_word({197, 129, 117}));  // chr(256) + "t": UTF-8 bytes + 1
  EXPECT_EQ(as_vector(elmo_char_ids("")), expected_word({}));
}

TEST(ElmoChars, LongWordsKeepTheirFirst48Bytes) {
  std::string word(60, 'x');
  word[47] = 'y';
  word[48] = 'z';  // beyond the cut
  IndexArray ids = elmo_char_ids(word);
  ASSERT_EQ(ids.size(), 50u);
  EXPECT_EQ(ids(0), 259);
  EXPECT_EQ(ids(1), 'x' + 1);
  EXPECT_EQ(ids(48), 'y' + 1);
  EXPECT_EQ(ids(49), 260);  // end of word, no padding left
  // A cut inside a two-byte character keeps its first byte, as word.encode("utf-8")[:48].
  std::string accented = "a";
  for (int i = 0; i < 30; ++i) accented += "\xc3\xa9";  // é
  IndexArray cut = elmo_char_ids(accented);
  EXPECT_EQ(cut(48), 0xc3 + 1);
  EXPECT_EQ(cut(49), 260);
}

TEST(ElmoChars, BatchesPadWithZeroAndMaskTokens) {
  IndexArray ids = elmo_batch_to_ids({{"The", "cat"}, {"Hi"}, {}});
  EXPECT_EQ(ids.shape(), (Shape{3, 2, 50}));
  EXPECT_EQ(as_vector(xt::view(ids, 0, 1, xt::all())), as_vector(elmo_char_ids("cat")));
  EXPECT_TRUE(xt::all(xt::equal(xt::view(ids, 1, 1, xt::all()), 0)));
  Mask mask = token_mask(ids);
  EXPECT_EQ(mask, (Mask{{true, true}, {true, false}, {false, false}}));
  EXPECT_TRUE(test::throws<ValueError>([] { elmo_batch_to_ids({}); }, {"elmo_batch_to_ids", "no sentences"}));
}

TEST(ElmoChars, SentenceBoundariesAsAllenNlp) {
  // (N, T) ids, as AllenNLP's test_add_sentence_boundary_token_ids_handles_2D_input.
  IndexArray words{{1, 2, 3}, {1, 2, 0}};
  BoundedIds b = add_sentence_boundaries(words, IndexArray(9), IndexArray(10));
  EXPECT_EQ(b.ids, (IndexArray{{9, 1, 2, 3, 10}, {9, 1, 2, 10, 0}}));
  EXPECT_EQ(b.mask, (Mask{{true, true, true, true, true}, {true, true, true, true, false}}));

  // Character ids: an empty sentence still gets <S> </S>.
  BoundedIds chars = add_elmo_sentence_boundaries(elmo_batch_to_ids({{"a", "b"}, {}}));
  EXPECT_EQ(chars.ids.shape(), (Shape{2, 4, 50}));
  EXPECT_EQ(as_vector(xt::view(chars.ids, 0, 0, xt::all())), expected_word({257}));
  EXPECT_EQ(as_vector(xt::view(chars.ids, 0, 2, xt::all())), as_vector(elmo_char_ids("b")));
  EXPECT_EQ(as_vector(xt::view(chars.ids, 0, 3, xt::all())), expected_word({258}));
  EXPECT_EQ(as_vector(xt::view(chars.ids, 1, 1, xt::all())), expected_word({258}));
  EXPECT_TRUE(xt::all(xt::equal(xt::view(chars.ids, 1, 2, xt::all()), 0)));
  EXPECT_EQ(chars.mask, (Mask{{true, true, true, true}, {true, true, false, false}}));
}

TEST(ElmoChars, BadIdsAreNamed) {
  EXPECT_TRUE(test::throws<ValueError>(
      [] { add_sentence_boundaries(IndexArray{{1, 0, 3}}, IndexArray(9), IndexArray(10)); },
      {"add_sentence_boundaries", "sentence 0", "position 2", "padding at 1"}));
  EXPECT_TRUE(test::throws<ShapeError>([] { add_elmo_sentence_boundaries(IndexArray{{1, 2}}); },
                                       {"add_elmo_sentence_boundaries", "[1, 2]", "(N, T, 50)"}));
  EXPECT_TRUE(test::throws<ShapeError>(
      [] { add_sentence_boundaries(IndexArray{{1, 2}}, IndexArray{1, 2}, IndexArray(10)); },
      {"add_sentence_boundaries", "[2]", "1 ids"}));
}

}  // namespace
}  // namespace tg::data
