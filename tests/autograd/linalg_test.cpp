// Matrix products: matmul (2-D, batched, 3-D x 2-D) and linear.
#include "support/support.hpp"

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

TEST(Linalg, MatmulValues) {
  Tensor a = tensor({{1, 2}, {3, 4}}, kFloat64), b = tensor({{5, 6, 7}, {8, 9, 10}}, kFloat64);
  EXPECT_EQ(matmul(a, b).data<double>(), (xt::xarray<double>{{21, 24, 27}, {47, 54, 61}}));
  Tensor f = matmul(a.to(kFloat32), b.to(kFloat32));
  EXPECT_EQ(f.data<float>()(1, 2), 61.0f);
}

TEST(Linalg, MatchesPyTorch) {
  EXPECT_TRUE(test::matches_reference("ops/matmul_batched.npz", [](const auto& in) { return matmul(in[0], in[1]); }));
  EXPECT_TRUE(test::matches_reference("ops/matmul_3d_2d.npz", [](const auto& in) { return matmul(in[0], in[1]); }));
  EXPECT_TRUE(test::matches_reference("ops/linear_3d.npz",
                                      [](const auto& in) { return linear(in[0], in[1], in[2]); }));
}

TEST(Linalg, MatmulGradcheck) {
  EXPECT_TRUE(gradcheck_op("matmul", [](const auto& v) { return matmul(v[0], v[1]); },
                           {random_input({3, 4}, 1), random_input({4, 2}, 2)}));
  EXPECT_TRUE(gradcheck_op("matmul", [](const auto& v) { return matmul(v[0], v[1]); },
                           {random_input({2, 3, 4}, 1), random_input({2, 4, 5}, 2)}));
  EXPECT_TRUE(gradcheck_op("matmul", [](const auto& v) { return matmul(v[0], v[1]); },
                           {random_input({2, 3, 4}, 1), random_input({4, 2}, 2)}));
  // Gradient accumulates when the same matrix is used twice.
  EXPECT_TRUE(gradcheck_op("matmul", [](const auto& v) { return matmul(v[0], v[0]); }, {random_input({3, 3})}));
}

TEST(Linalg, LinearGradcheck) {
  const Tensor w = random_input({5, 4}, 2), b = random_input({5}, 3);
  EXPECT_TRUE(gradcheck_op("linear", [](const auto& v) { return linear(v[0], v[1], v[2]); },
                           {random_input({3, 4}, 1), w, b}));
  EXPECT_TRUE(gradcheck_op("linear", [](const auto& v) { return linear(v[0], v[1]); }, {random_input({3, 4}, 1), w}));
  EXPECT_TRUE(gradcheck_op("linear", [](const auto& v) { return linear(v[0], v[1], v[2]); },
                           {random_input({2, 3, 4}, 1), w, b}));
  EXPECT_TRUE(gradcheck_op("linear", [](const auto& v) { return linear(v[0], v[1]); }, {random_input({4}, 1), w}));
}

TEST(Linalg, LinearEqualsMatmulPlusBias) {
  Tensor x = random_input({2, 3, 4}, 1), w = random_input({5, 4}, 2), b = random_input({5}, 3);
  EXPECT_LT(test::max_abs_diff(linear(x, w, b), matmul(x, transpose(w, 0, 1)) + b), 1e-13);
}

TEST(Linalg, Errors) {
  EXPECT_TRUE(throws<ShapeError>([] { matmul(zeros({2, 3}), zeros({4, 5})); }, {"matmul", "[2, 3]", "[4, 5]"}));
  EXPECT_TRUE(throws<ShapeError>([] { matmul(zeros({2, 3, 4}), zeros({3, 4, 5})); }, {"matmul", "[3, 4, 5]"}));
  EXPECT_TRUE(throws<ShapeError>([] { matmul(zeros({3}), zeros({3, 2})); }, {"matmul", "[3]"}));
  EXPECT_TRUE(throws<DtypeError>([] { matmul(zeros({2, 2}), zeros({2, 2}, kFloat64)); }, {"matmul", "float64"}));
  EXPECT_TRUE(throws<ShapeError>([] { linear(zeros({2, 3}), zeros({5, 4})); }, {"linear", "[2, 3]", "[5, 4]"}));
  EXPECT_TRUE(throws<ShapeError>([] { linear(zeros({2, 4}), zeros({5, 4}), zeros({4})); },
                                 {"linear", "bias [4]", "[5, 4]"}));
  EXPECT_TRUE(throws<DtypeError>([] { linear(zeros({2, 4}), zeros({5, 4}), zeros({5}, kFloat64)); }, {"linear"}));
}

}  // namespace
}  // namespace tg
