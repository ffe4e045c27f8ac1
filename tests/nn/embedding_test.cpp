// Embedding: PyTorch parity (with a padding row), init, gradcheck, errors.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/embedding.hpp>
#include <nn/module_gradcheck.hpp>

namespace tg::nn {
namespace {

TEST(Embedding, MatchesPyTorch) {
  test::Reference ref("nn/embedding.npz");
  Embedding embed(EmbeddingOptions(7, 4).padding_idx(2));
  embed.load_state_dict(ref.with_prefix("state."));
  test::expect_matches_reference(embed, ref, embed.forward(test::reference_ids("nn/embedding.npz", "ids")));
  EXPECT_EQ(xt::amax(xt::abs(xt::view(embed.weight.grad().data<float>(), 2, xt::all())))(), 0.0f);
}

TEST(Embedding, DefaultInitIsStandardNormalWithAZeroPaddingRow) {
  manual_seed(0);
  Embedding embed(EmbeddingOptions(500, 40).padding_idx(-1));  // -1: the last row, as PyTorch
  EXPECT_EQ(embed.options.padding_idx_, 499);
  const auto& w = embed.weight.data<float>();
  EXPECT_EQ(xt::amax(xt::abs(xt::view(w, 499, xt::all())))(), 0.0f);
  const double mean = xt::mean(w)(), std = xt::stddev(w)();
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(std, 1.0, 0.02);
}

TEST(Embedding, Gradcheck) {
  Embedding embed(EmbeddingOptions(5, 3).padding_idx(0));
  embed.to(kFloat64);
  // The padding row gets no gradient by design (as PyTorch), so a gradcheck must not look it up.
  const IndexArray ids{{1, 3, 4}, {4, 4, 2}};
  EXPECT_TRUE(gradcheck(embed, [&] { return embed.forward(ids); }).ok);
}

TEST(Embedding, ErrorsNameTheTable) {
  Embedding embed(5, 3);
  EXPECT_TRUE(test::throws<IndexError>([&] { embed.forward(IndexArray{1, 5}); }, {"id 5", "5 rows"}));
  EXPECT_TRUE(test::throws<IndexError>([&] { Embedding(EmbeddingOptions(5, 3).padding_idx(5)); },
                                       {"Embedding(5, 3)", "padding_idx 5"}));
  EXPECT_EQ(Embedding(EmbeddingOptions(5, 3).padding_idx(0)).str(),
            "Embedding(5, 3, padding_idx=0)  {weight [5, 3]}  # 15 parameters");
}

}  // namespace
}  // namespace tg::nn
