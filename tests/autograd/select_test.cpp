// Selection by masks: where and masked_fill.
#include "support/support.hpp"

namespace tg {
namespace {

using test::gradcheck_op;
using test::random_input;
using test::throws;

// Called as tg::where below: unqualified, argument-dependent lookup on the Mask (an xtensor type)
// also finds xt::where, which binds rvalues better.

/// A (n, 1) mask (braces alone are ambiguous for a bool column).
Mask column(std::initializer_list<bool> values) {
  Mask m = xt::adapt(std::vector<bool>(values), {values.size(), std::size_t{1}});
  return m;
}

TEST(Select, WhereValues) {
  Tensor a = tensor({{1, 2}, {3, 4}}, kFloat64), b = tensor({-1, -2}, kFloat64);
  EXPECT_EQ(tg::where(Mask{{true, false}, {false, true}}, a, b).data<double>(), (xt::xarray<double>{{1, -2}, {-1, 4}}));
  Tensor c = tg::where(column({true, false, true}), b, scalar_like(9, b));  // condition widens the shape
  EXPECT_EQ(c.shape(), (Shape{3, 2}));
  EXPECT_EQ(c.data<double>()(1, 0), 9.0);
}

TEST(Select, MaskedFillValues) {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, kFloat64);
  EXPECT_EQ(masked_fill(x, Mask{true, false, true}, 0).data<double>(), (xt::xarray<double>{{0, 2, 0}, {0, 5, 0}}));
  EXPECT_EQ(masked_fill(x, column({false, true}), -1e9).data<double>()(1, 2), -1e9);
  // A mask broadcast over rows, in float32 with a SIMD tail: xt::where got these wrong on SSE2.
  Tensor f = tensor({{1, 2, 3, 4, 5}, {4, 5, 6, 7, 8}});
  EXPECT_EQ(masked_fill(f, Mask{true, false, true, false, true}, 0).data<float>(),
            (xt::xarray<float>{{0, 2, 0, 4, 0}, {0, 5, 0, 7, 0}}));
}

TEST(Select, MatchesPyTorch) {
  const Mask cond = xt::cast<bool>(test::reference_ids("ops/where_broadcast.npz", "cond"));
  EXPECT_TRUE(test::matches_reference("ops/where_broadcast.npz",
                                      [&](const auto& in) { return tg::where(cond, in[0], in[1]); }));
  const Mask mask = xt::cast<bool>(test::reference_ids("ops/masked_fill.npz", "mask"));
  EXPECT_TRUE(test::matches_reference("ops/masked_fill.npz",
                                      [&](const auto& in) { return masked_fill(in[0], mask, -2.5); }));
}

TEST(Select, Gradcheck) {
  const Mask m{{true, false, true}, {false, false, true}};
  EXPECT_TRUE(gradcheck_op("where", [&](const auto& v) { return tg::where(m, v[0], v[1]); },
                           {random_input({2, 3}, 1), random_input({2, 3}, 2)}));
  EXPECT_TRUE(gradcheck_op("where", [&](const auto& v) { return tg::where(m, v[0], v[1]); },
                           {random_input({3}, 1), random_input({2, 1}, 2)}));
  EXPECT_TRUE(gradcheck_op("where", [](const auto& v) { return tg::where(column({true, false}), v[0], v[1]); },
                           {random_input({}, 1), random_input({1, 3}, 2)}));
  EXPECT_TRUE(gradcheck_op("masked_fill", [&](const auto& v) { return masked_fill(v[0], m, 3); },
                           {random_input({2, 3})}));
  EXPECT_TRUE(gradcheck_op("masked_fill", [](const auto& v) { return masked_fill(v[0], Mask{false, true}, 0); },
                           {random_input({3, 2})}));
}

TEST(Select, Errors) {
  EXPECT_TRUE(throws<ShapeError>([] { tg::where(Mask{true, false, true}, zeros({2}), zeros({2})); },
                                 {"where", "[3]", "[2]"}));
  EXPECT_TRUE(throws<DtypeError>([] { tg::where(Mask{true}, zeros({2}), zeros({2}, kFloat64)); }, {"where", "float64"}));
  EXPECT_TRUE(throws<ShapeError>([] { masked_fill(zeros({2, 3}), Mask{true, false}, 0); },
                                 {"masked_fill", "[2]", "[2, 3]"}));
  // A mask that would widen the input is refused: masked_fill keeps x's shape.
  EXPECT_TRUE(throws<ShapeError>([] { masked_fill(zeros({3}), column({true, false}), 0); },
                                 {"masked_fill", "mask of shape [2, 1]", "[3]"}));
}

}  // namespace
}  // namespace tg
