// Joining and slicing along an axis: concat, stack, narrow, select, split, chunk.
#include "support/support.hpp"

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

Tensor iota(const Shape& shape) {
  std::vector<long> dims(shape.begin(), shape.end());
  return reshape(arange(0, static_cast<double>(xt::compute_size(shape)), 1, kFloat64), dims);
}

TEST(Slicing, ConcatValues) {
  Tensor a = iota({2, 2}), b = iota({2, 1}) + 10;
  Tensor c = concat({a, b}, -1);
  EXPECT_EQ(c.data<double>(), (xt::xarray<double>{{0, 1, 10}, {2, 3, 11}}));
  Tensor d = concat({a, a}, 0);
  EXPECT_EQ(d.shape(), (Shape{4, 2}));
  EXPECT_EQ(d.data<double>()(3, 1), 3.0);
}

TEST(Slicing, ConcatGradcheck) {
  EXPECT_TRUE(gradcheck_op("concat", [](const auto& in) { return concat({in[0], in[1], in[2]}, 1); },
                           {random_input({2, 1, 3}, 1), random_input({2, 3, 3}, 2), random_input({2, 2, 3}, 3)}));
  EXPECT_TRUE(gradcheck_op("concat", [](const auto& in) { return concat({in[0], in[1]}, -1); },
                           {random_input({3, 2}, 1), random_input({3, 4}, 2)}));
  // The same tensor twice: both halves of the gradient land in it.
  EXPECT_TRUE(gradcheck_op("concat", [](const auto& in) { return concat({in[0], in[0]}, 0) * 2; },
                           {random_input({2, 3})}));
}

TEST(Slicing, ConcatErrors) {
  EXPECT_TRUE(throws<ShapeError>([] { concat({zeros({2, 3}), zeros({3, 3})}, 1); },
                                 {"concat", "tensor 1", "[3, 3]", "[2, 3]", "axis 1"}));
  EXPECT_TRUE(throws<ShapeError>([] { concat({zeros({2, 3}), zeros({2, 3, 1})}, 0); }, {"concat", "[2, 3, 1]"}));
  EXPECT_TRUE(throws<DtypeError>([] { concat({zeros({2}), zeros({2}, kFloat64)}, 0); }, {"concat", "float64"}));
  EXPECT_TRUE(throws<ValueError>([] { concat({}, 0); }, {"concat"}));
  EXPECT_TRUE(throws<ValueError>([] { concat({zeros({2})}, 1); }, {"concat", "axis 1"}));
}

TEST(Slicing, StackValuesAndGradcheck) {
  Tensor a = iota({2, 3}), b = iota({2, 3}) * 2;
  EXPECT_EQ(stack({a, b}, 0).shape(), (Shape{2, 2, 3}));
  Tensor s = stack({a, b}, -1);
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.data<double>()(1, 2, 1), 10.0);
  EXPECT_EQ(s.data<double>()(1, 2, 0), 5.0);
  EXPECT_TRUE(gradcheck_op("stack", [](const auto& in) { return stack({in[0], in[1]}, 1); },
                           {random_input({2, 3}, 1), random_input({2, 3}, 2)}));
  EXPECT_TRUE(gradcheck_op("stack", [](const auto& in) { return stack({in[0], in[1], in[0]}, -1); },
                           {random_input({3}, 1), random_input({3}, 2)}));
  EXPECT_TRUE(throws<ShapeError>([] { stack({zeros({2, 3}), zeros({3, 2})}, 0); }, {"stack", "[3, 2]", "[2, 3]"}));
  EXPECT_TRUE(throws<ValueError>([] { stack({zeros({2})}, 2); }, {"stack", "axis 2"}));
}

TEST(Slicing, NarrowAndSelectValues) {
  Tensor x = iota({2, 3, 4});
  Tensor n = narrow(x, -1, 1, 2);
  EXPECT_EQ(n.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(n.data<double>()(1, 2, 1), 22.0);
  EXPECT_EQ(narrow(x, 1, 3, 0).shape(), (Shape{2, 0, 4}));
  Tensor s = select(x, 1, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 4}));
  EXPECT_EQ(s.data<double>()(1, 0), 20.0);
  EXPECT_EQ(select(x, -1, 3).data<double>(), (xt::xarray<double>{{3, 7, 11}, {15, 19, 23}}));
}

TEST(Slicing, NarrowAndSelectGradcheck) {
  EXPECT_TRUE(gradcheck_op("narrow", [](const auto& in) { return narrow(in[0], -1, 1, 2); }, {random_input({2, 3, 4})}));
  EXPECT_TRUE(gradcheck_op("narrow", [](const auto& in) { return narrow(in[0], 0, 1, 1); }, {random_input({3, 2})}));
  // Two slices of one tensor: the second backward adds into the first's buffer.
  EXPECT_TRUE(gradcheck_op("narrow",
                           [](const auto& in) { return narrow(in[0], 1, 0, 2) * narrow(in[0], 1, 1, 2); },
                           {random_input({2, 3})}));
  EXPECT_TRUE(gradcheck_op("select", [](const auto& in) { return select(in[0], 1, 2); }, {random_input({2, 3, 4})}));
  EXPECT_TRUE(gradcheck_op("select", [](const auto& in) { return select(in[0], -1, 0); }, {random_input({2, 3})}));
}

TEST(Slicing, NarrowAndSelectErrors) {
  Tensor x = zeros({2, 3});
  EXPECT_TRUE(throws<ShapeError>([&] { narrow(x, 1, 2, 2); }, {"narrow", "[2, 4)", "axis 1", "[2, 3]"}));
  EXPECT_TRUE(throws<ShapeError>([&] { narrow(x, 0, 3, 0); }, {"narrow"}));
  EXPECT_TRUE(throws<IndexError>([&] { select(x, 0, 2); }, {"select", "index 2", "axis 0", "[2, 3]"}));
  EXPECT_TRUE(throws<ValueError>([&] { select(x, 2, 0); }, {"select", "axis 2"}));
}

TEST(Slicing, SplitAndChunkLikeTorch) {
  Tensor x = iota({7, 2});
  auto pieces = split(x, 3, 0);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(pieces[2].shape(), (Shape{1, 2}));
  EXPECT_EQ(pieces[2].data<double>()(0, 1), 13.0);
  // torch.chunk(7 rows, 3) gives sizes 3, 3, 1; chunk(6 rows, 4) gives 2, 2, 2 (fewer than asked).
  auto chunks = chunk(x, 3, 0);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[1].shape(), (Shape{3, 2}));
  EXPECT_EQ(chunk(iota({6}), 4, 0).size(), 3u);
  auto gates = chunk(iota({2, 8}), 4, -1);
  ASSERT_EQ(gates.size(), 4u);
  EXPECT_EQ(gates[3].data<double>(), (xt::xarray<double>{{6, 7}, {14, 15}}));
  EXPECT_TRUE(throws<ValueError>([&] { split(x, 0, 0); }, {"split", "positive"}));
  EXPECT_TRUE(throws<ValueError>([&] { chunk(x, 0, 0); }, {"chunk", "positive"}));
  EXPECT_TRUE(throws<ValueError>([&] { chunk(x, 2, 2); }, {"chunk", "axis 2"}));
}

TEST(Slicing, SplitAndChunkGradcheck) {
  EXPECT_TRUE(gradcheck_op("split",
                           [](const auto& in) {
                             auto p = split(in[0], 2, 1);
                             return p[0] * 2 + p[1] * p[1] + concat({p[2], p[2]}, 1);
                           },
                           {random_input({2, 5})}));
  EXPECT_TRUE(gradcheck_op("chunk",
                           [](const auto& in) {
                             auto p = chunk(in[0], 4, -1);
                             return sigmoid(p[0]) * tanh(p[2]) + p[3] - p[1];  // an LSTM-like use
                           },
                           {random_input({3, 8})}));
}

}  // namespace
}  // namespace tg
