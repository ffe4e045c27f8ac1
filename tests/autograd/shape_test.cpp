// Shape ops: reshape, unsqueeze, squeeze, permute, transpose, expand.
#include "support/support.hpp"

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

TEST(Shape, ReshapeInfersOneAxis) {
  Tensor x = arange(0, 24, 1, kFloat64);
  Tensor y = reshape(x, {2, -1, 4});
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(y.data<double>()(1, 2, 3), 23.0);
  EXPECT_EQ(reshape(y, {24}).shape(), (Shape{24}));
  EXPECT_EQ(reshape(tensor(3.0), {1, 1}).shape(), (Shape{1, 1}));
}

TEST(Shape, ReshapeGradcheck) {
  EXPECT_TRUE(gradcheck_op("reshape", [](const auto& in) { return reshape(in[0], {3, -1}); },
                           {random_input({2, 3, 2})}));
  // The gradient flows back through a second use: reshape's backward must add, not overwrite.
  EXPECT_TRUE(gradcheck_op("reshape", [](const auto& in) { return reshape(in[0], {6}) * reshape(in[0], {6}); },
                           {random_input({2, 3})}));
}

TEST(Shape, ReshapeErrors) {
  Tensor x = zeros({2, 3});
  EXPECT_TRUE(throws<ShapeError>([&] { reshape(x, {4, -1}); }, {"reshape", "[2, 3]", "6 elements", "[4, -1]"}));
  EXPECT_TRUE(throws<ShapeError>([&] { reshape(x, {-1, -1}); }, {"reshape", "only one"}));
  EXPECT_TRUE(throws<ShapeError>([&] { reshape(x, {5}); }, {"reshape", "[5]"}));
  EXPECT_TRUE(throws<ShapeError>([&] { reshape(x, {-2, 3}); }, {"reshape", "-2"}));
}

TEST(Shape, UnsqueezeAndSqueeze) {
  Tensor x = random_input({2, 3});
  EXPECT_EQ(unsqueeze(x, 0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(unsqueeze(x, -1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(unsqueeze(x, 1).shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(squeeze(unsqueeze(x, 1), 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(squeeze(zeros({1}), 0).shape(), (Shape{}));
  EXPECT_TRUE(gradcheck_op("unsqueeze", [](const auto& in) { return unsqueeze(in[0], -2); }, {random_input({2, 3})}));
  EXPECT_TRUE(gradcheck_op("squeeze", [](const auto& in) { return squeeze(in[0], -3); }, {random_input({1, 2, 3})}));
  // Stricter than torch (which silently returns x): squeezing a non-1 axis is a bug in the caller.
  EXPECT_TRUE(throws<ShapeError>([&] { squeeze(x, 0); }, {"squeeze", "axis 0", "[2, 3]", "size 2"}));
  EXPECT_TRUE(throws<ValueError>([&] { unsqueeze(x, 3); }, {"unsqueeze", "axis 3"}));
  EXPECT_TRUE(throws<ValueError>([&] { squeeze(x, -3); }, {"squeeze", "axis -3"}));
}

TEST(Shape, PermuteAndTransposeValues) {
  Tensor x = reshape(arange(0, 24, 1, kFloat64), {2, 3, 4});
  Tensor p = permute(x, {2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  xt::xarray<double> want = xt::transpose(x.data<double>(), {2, 0, 1});
  EXPECT_EQ(p.data<double>(), want);
  Tensor t = transpose(x, 0, -2);  // keeps the last axis: the contiguous-run path
  xt::xarray<double> want_t = xt::transpose(x.data<double>(), {1, 0, 2});
  EXPECT_EQ(t.data<double>(), want_t);
  EXPECT_EQ(transpose(x, 1, 1).data<double>(), x.data<double>());
}

TEST(Shape, PermuteAndTransposeGradcheck) {
  EXPECT_TRUE(gradcheck_op("permute", [](const auto& in) { return permute(in[0], {1, -1, 0}); },
                           {random_input({2, 3, 4})}));
  EXPECT_TRUE(gradcheck_op("permute", [](const auto& in) { return permute(in[0], {2, 0, 1, 3}); },
                           {random_input({2, 1, 3, 2})}));
  EXPECT_TRUE(gradcheck_op("transpose", [](const auto& in) { return transpose(in[0], 0, 1); }, {random_input({3, 4})}));
  EXPECT_TRUE(gradcheck_op("transpose", [](const auto& in) { return transpose(in[0], -1, 0); },
                           {random_input({2, 3, 4})}));
}

TEST(Shape, PermuteErrors) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_TRUE(throws<ShapeError>([&] { permute(x, {0, 1}); }, {"permute", "2 axes", "[2, 3, 4]"}));
  EXPECT_TRUE(throws<ShapeError>([&] { permute(x, {0, 1, -3}); }, {"permute", "repeated"}));
  EXPECT_TRUE(throws<ValueError>([&] { transpose(x, 0, 3); }, {"transpose", "axis 3"}));
}

TEST(Shape, ExpandValuesAndGradcheck) {
  Tensor x = reshape(tensor({1, 2}, kFloat64), {2, 1});
  Tensor y = expand(x, {3, 2, 4});
  EXPECT_EQ(y.shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(y.data<double>()(2, 1, 3), 2.0);
  EXPECT_TRUE(gradcheck_op("expand", [](const auto& in) { return expand(in[0], {3, 2, 4}); }, {random_input({2, 1})}));
  EXPECT_TRUE(gradcheck_op("expand", [](const auto& in) { return expand(in[0], {2, 3}); }, {random_input({})}));
  EXPECT_TRUE(throws<ShapeError>([&] { expand(x, {2, 3, 4}); }, {"expand", "[2, 1]", "[2, 3, 4]"}));
  EXPECT_TRUE(throws<ShapeError>([&] { expand(x, {4}); }, {"expand"}));
}

TEST(Shape, Float32Works) {
  Tensor x = ones({2, 3}, kFloat32).requires_grad_();
  sum(transpose(reshape(x, {3, 2}), 0, 1)).backward();
  EXPECT_EQ(x.grad().dtype(), kFloat32);
  EXPECT_EQ(x.grad().shape(), (Shape{2, 3}));
}

}  // namespace
}  // namespace tg
