// Gathering rows by ids: index_select and embedding.
#include "support/support.hpp"

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

TEST(Indexing, IndexSelectValues) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, kFloat64);
  EXPECT_EQ(index_select(x, 1, IndexArray{2, 0, 2}).data<double>(), (xt::xarray<double>{{3, 1, 3}, {6, 4, 6}}));
  // Indices of any shape replace the axis.
  Tensor y = index_select(x, 0, IndexArray{{1, 0}, {1, 1}});
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(y.data<double>()(1, 0, 2), 6.0);
  EXPECT_EQ(index_select(x, 0, IndexArray::from_shape({0})).shape(), (Shape{0, 3}));
}

TEST(Indexing, IndexSelectGradcheckRepeatedIndicesAccumulate) {
  EXPECT_TRUE(gradcheck_op("index_select", [](const auto& in) { return index_select(in[0], 1, IndexArray{3, 0, 3, 3}); },
                           {random_input({2, 4, 3})}));
  EXPECT_TRUE(gradcheck_op("index_select",
                           [](const auto& in) { return index_select(in[0], -1, IndexArray{{0, 1}, {1, 1}}); },
                           {random_input({3, 2})}));
  Tensor x = ones({3, 2}, kFloat64).requires_grad_();
  sum(index_select(x, 0, IndexArray{2, 2, 0})).backward();
  EXPECT_EQ(x.grad().data<double>(), (xt::xarray<double>{{1, 1}, {0, 0}, {2, 2}}));
}

TEST(Indexing, IndexSelectMatchesPyTorch) {
  const IndexArray index = test::reference_ids("ops/index_select_axis1.npz", "index");
  EXPECT_TRUE(test::matches_reference("ops/index_select_axis1.npz",
                                      [&](const auto& in) { return index_select(in[0], 1, index); }));
}

TEST(Indexing, IndexSelectErrors) {
  Tensor x = zeros({2, 3});
  EXPECT_TRUE(throws<IndexError>([&] { index_select(x, 1, IndexArray{0, 3}); },
                                 {"index_select", "index 3", "axis 1", "[2, 3]"}));
  EXPECT_TRUE(throws<IndexError>([&] { index_select(x, 0, IndexArray{-1}); }, {"index_select", "index -1"}));
  EXPECT_TRUE(throws<ValueError>([&] { index_select(x, 2, IndexArray{0}); }, {"index_select", "axis 2"}));
}

TEST(Indexing, EmbeddingValuesAndShape) {
  Tensor w = tensor({{0, 0}, {1, 2}, {3, 4}}, kFloat64);
  Tensor e = embedding(w, IndexArray{{2, 1, 2}, {0, 0, 1}});
  EXPECT_EQ(e.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(e.data<double>()(0, 0, 1), 4.0);
  EXPECT_EQ(e.data<double>()(1, 2, 0), 1.0);
  EXPECT_EQ(embedding(w, IndexArray(Index{1})).shape(), (Shape{2}));
}

TEST(Indexing, EmbeddingPaddingRowGetsNoGradient) {
  Tensor w = ones({4, 3}, kFloat64).requires_grad_();
  sum(embedding(w, IndexArray{1, 0, 1, 3}, 0)).backward();
  EXPECT_EQ(w.grad().data<double>(), (xt::xarray<double>{{0, 0, 0}, {2, 2, 2}, {0, 0, 0}, {1, 1, 1}}));
  w.zero_grad();
  sum(embedding(w, IndexArray{3, 2}, -1)).backward();  // -1 is row 3, as in torch
  EXPECT_EQ(w.grad().data<double>(), (xt::xarray<double>{{0, 0, 0}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}}));
}

TEST(Indexing, EmbeddingGradcheck) {
  EXPECT_TRUE(gradcheck_op("embedding", [](const auto& in) { return embedding(in[0], IndexArray{{1, 4}, {1, 0}}); },
                           {random_input({5, 3})}));
  // With padding_idx the padding row's gradient is zero on purpose, so finite differences only
  // agree on the other rows: the padding id is left out here and tested above.
  EXPECT_TRUE(gradcheck_op("embedding", [](const auto& in) { return embedding(in[0], IndexArray{2, 0, 2}, 1); },
                           {random_input({3, 2})}));
}

TEST(Indexing, EmbeddingMatchesPyTorch) {
  const IndexArray ids = test::reference_ids("ops/embedding_padding.npz", "ids");
  EXPECT_TRUE(test::matches_reference("ops/embedding_padding.npz",
                                      [&](const auto& in) { return embedding(in[0], ids, 0); }));
}

TEST(Indexing, EmbeddingErrors) {
  Tensor w = zeros({5, 3});
  EXPECT_TRUE(throws<IndexError>([&] { embedding(w, IndexArray{1, 7}); }, {"embedding", "id 7", "5 rows"}));
  EXPECT_TRUE(throws<ValueError>([&] { embedding(w, IndexArray{-1}); }, {"embedding", "id -1", "5 rows"}));
  EXPECT_TRUE(throws<IndexError>([&] { embedding(w, IndexArray{1}, 5); }, {"embedding", "padding_idx 5"}));
  EXPECT_TRUE(throws<ShapeError>([&] { embedding(zeros({5}), IndexArray{1}); }, {"embedding", "[5]"}));
}

}  // namespace
}  // namespace tg
