// ScalarMix: AllenNLP's formula (by hand here; against AllenNLP's code in elmo_test.cpp), layer norm over
// valid positions only, gradcheck with and without it, names and errors.
#include "support/support.hpp"

#include <nn/module_gradcheck.hpp>
#include <nn/scalar_mix.hpp>

namespace tg::nn {
namespace {

TEST(ScalarMix, StartsAsTheAverageAndWeighsBySoftmax) {
  ScalarMix mix(3);
  std::vector<std::string> names;
  for (const auto& [name, p] : mix.named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"gamma", "scalar_parameters.0", "scalar_parameters.1", "scalar_parameters.2"}));
  Tensor a = tensor({{1, 2}}), b = tensor({{3, 4}}), c = tensor({{5, 9}});
  EXPECT_LT(test::max_abs_diff(mix.forward({a, b, c}), tensor({{3, 5}})), 1e-6);

  ScalarMix weighted(ScalarMixOptions(2).initial_scalar_parameters({0.0, std::log(3.0)}));
  weighted.gamma.data<float>()(0) = 2;
  // softmax([0, ln 3]) = [1/4, 3/4]
  EXPECT_LT(test::max_abs_diff(weighted.forward({a, b}), tensor({{2 * (0.25 + 2.25), 2 * (0.5 + 3)}})), 1e-5);
}

TEST(ScalarMix, LayerNormUsesValidPositionsOnly) {
  ScalarMix mix(ScalarMixOptions(1).do_layer_norm(true));
  Mask mask{{true, true, false}};
  Tensor h = tensor({{{1, 3}, {5, 7}, {100, -100}}});
  // Valid elements 1, 3, 5, 7: mean 4, variance 5.
  Tensor expected = tensor({{{-3, -1}, {1, 3}, {96, -104}}}) / std::sqrt(5.0);
  EXPECT_LT(test::max_abs_diff(mix.forward({h}, mask), expected), 1e-5);
  Tensor other = tensor({{{1, 3}, {5, 7}, {-8, 0.5}}});
  EXPECT_LT(test::max_abs_diff(narrow(mix.forward({other}, mask), 1, 0, 2), narrow(expected, 1, 0, 2)), 1e-5);
}

TEST(ScalarMix, Gradcheck) {
  for (bool layer_norm : {false, true}) {
    ScalarMix mix(ScalarMixOptions(3).do_layer_norm(layer_norm).initial_scalar_parameters({0.1, -0.3, 0.5}));
    mix.to(kFloat64);
    mix.gamma.data<double>()(0) = 1.3;
    std::vector<Tensor> h{test::random_input({2, 3, 4}, 1), test::random_input({2, 3, 4}, 2),
                          test::random_input({2, 3, 4}, 3)};
    Mask mask{{true, true, true}, {true, false, false}};
    EXPECT_TRUE(gradcheck(mix, [&] { return mix.forward(h, mask); }).ok) << "layer_norm " << layer_norm;
    EXPECT_TRUE(test::gradcheck_op("ScalarMix", [&](const auto& in) { return mix.forward(in, mask); }, h));
  }
}

TEST(ScalarMix, ErrorsNameTheModule) {
  EXPECT_TRUE(test::throws<ValueError>([] { ScalarMix(ScalarMixOptions(3).initial_scalar_parameters({0, 1})); },
                                       {"ScalarMix(mixture_size=3, do_layer_norm=false)", "2 initial scalar parameters"}));
  ScalarMix mix(ScalarMixOptions(2).do_layer_norm(true));
  EXPECT_TRUE(test::throws<ValueError>([&] { mix.forward({zeros({1, 2, 3})}); }, {"ScalarMix(", "1 tensors given to a mixture of 2"}));
  EXPECT_TRUE(test::throws<ShapeError>([&] { mix.forward({zeros({1, 2, 3}), zeros({1, 2, 4})}); }, {"tensor 1 has shape [1, 2, 4]"}));
  const Mask wrong = xt::ones<bool>({2, 1}), none = xt::zeros<bool>({1, 2});
  EXPECT_TRUE(test::throws<ShapeError>([&] { mix.forward({zeros({1, 2, 3}), zeros({1, 2, 3})}, wrong); },
                                       {"layer norm needs a mask of shape [1, 2]", "[2, 1]"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { mix.forward({zeros({1, 2, 3}), zeros({1, 2, 3})}, none); },
                                       {"no valid position"}));
}

}  // namespace
}  // namespace tg::nn
