// The optimizer base: groups, zero_grad, state dicts, and bitwise resume through an .npz file.
#include "support/optim_support.hpp"

#include <cmath>
#include <filesystem>

namespace tg::optim {
namespace {

using Factory = std::function<std::unique_ptr<Optimizer>(const NamedParameters&)>;

std::vector<std::pair<std::string, Factory>> optimizers() {
  return {
      {"SGD", [](const NamedParameters& p) { return std::make_unique<SGD>(p, SGDOptions(0.05).momentum(0.9).weight_decay(1e-3)); }},
      {"Adam", [](const NamedParameters& p) { return std::make_unique<Adam>(p, AdamOptions(1e-2).amsgrad(true).weight_decay(1e-3)); }},
      {"AdamW", [](const NamedParameters& p) { return std::make_unique<AdamW>(p, AdamWOptions(1e-2)); }},
  };
}

NamedParameters copy_of(const NamedParameters& params) {
  NamedParameters out;
  for (const auto& [name, p] : params) out.emplace_back(name, p.clone_leaf(true));
  return out;
}

TEST(Optimizer, ResumedTrainingIsBitwiseIdentical) {
  const std::string path = (std::filesystem::temp_directory_path() / "tapegrad_optimizer_resume.npz").string();
  for (const auto& [name, make] : optimizers()) {
    SCOPED_TRACE(name);
    NamedParameters straight = test::make_training_params();
    test::train_steps(*make(straight), straight, 0, 6);

    NamedParameters first = test::make_training_params();
    {
      auto optimizer = make(first);
      test::train_steps(*optimizer, first, 0, 3);
      save_npz(path, optimizer->state_dict());
    }
    NamedParameters resumed = copy_of(first);  // the model checkpoint
    auto optimizer = make(resumed);
    optimizer->load_state_dict(load_npz(path));
    test::train_steps(*optimizer, resumed, 3, 3);
    EXPECT_TRUE(test::bitwise_equal(straight, resumed));
  }
  std::filesystem::remove(path);
}

TEST(Optimizer, StateDictKeys) {
  Tensor w = zeros({2, 3}, TensorOptions().requires_grad());
  Adam adam({{"fc.weight", w}}, AdamOptions(1e-3).amsgrad(true));
  test::set_grad(w, ones({2, 3}));
  adam.step();
  const StateDict dict = adam.state_dict();
  std::vector<std::string> keys;
  for (const auto& [key, value] : dict) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"param_groups.0.amsgrad", "param_groups.0.beta1", "param_groups.0.beta2",
                                            "param_groups.0.eps", "param_groups.0.lr", "param_groups.0.weight_decay",
                                            "state.fc.weight.exp_avg", "state.fc.weight.exp_avg_sq",
                                            "state.fc.weight.max_exp_avg_sq", "state.fc.weight.step"}));
  EXPECT_EQ(dict.at("state.fc.weight.step").dim(), 0u);
  EXPECT_EQ(dict.at("state.fc.weight.step").dtype(), kFloat64);
  EXPECT_EQ(dict.at("state.fc.weight.exp_avg").shape(), (Shape{2, 3}));
  EXPECT_EQ(dict.at("param_groups.0.lr").item(), 1e-3);
  // A copy: stepping again does not change the dict.
  adam.step();
  EXPECT_EQ(dict.at("state.fc.weight.step").item(), 1.0);
}

TEST(Optimizer, LoadStateDictRestoresGroupOptions) {
  Tensor w = zeros({2}, TensorOptions().requires_grad());
  SGD a({{"w", w}}, SGDOptions(0.5).momentum(0.9));
  SGD b({{"w", w}}, SGDOptions(0.1));
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.lr(), 0.5);
  EXPECT_EQ(b.options().momentum(), 0.9);
}

std::string load_error(Optimizer& optimizer, const StateDict& dict) {
  return test::error_of([&] { optimizer.load_state_dict(dict); });
}

TEST(Optimizer, LoadStateDictNamesMismatches) {
  Tensor w = zeros({2, 3}, TensorOptions().requires_grad());
  Adam adam({{"fc.weight", w}});
  test::set_grad(w, ones({2, 3}));
  adam.step();
  const StateDict good = adam.state_dict();

  StateDict unknown = good;
  unknown["state.fc.bias.exp_avg"] = zeros({3});
  EXPECT_EQ(load_error(adam, unknown),
            "Adam.load_state_dict: state.fc.bias.exp_avg is state for parameter 'fc.bias', which this optimizer does not have");

  StateDict wrong_shape = good;
  wrong_shape["state.fc.weight.exp_avg"] = zeros({3, 2});
  EXPECT_EQ(load_error(adam, wrong_shape),
            "Adam.load_state_dict: state.fc.weight.exp_avg has shape [3, 2] but parameter 'fc.weight' has shape [2, 3]");

  StateDict missing = good;
  missing.erase("param_groups.0.eps");
  EXPECT_EQ(load_error(adam, missing), "Adam.load_state_dict: missing param_groups.0.eps");

  StateDict extra_group = good;
  extra_group["param_groups.1.lr"] = tensor(0.1, kFloat64);
  EXPECT_EQ(load_error(adam, extra_group),
            "Adam.load_state_dict: param_groups.1.lr but this optimizer has 1 param group(s)");

  StateDict bad_option = good;
  bad_option["param_groups.0.lr"] = tensor(-1.0, kFloat64);
  EXPECT_EQ(load_error(adam, bad_option), "Adam: invalid lr = -1 (must be >= 0)");
  EXPECT_EQ(adam.lr(), 1e-3);  // unchanged after the failed load

  StateDict stray = good;
  stray["momentum"] = zeros({1});
  EXPECT_NE(load_error(adam, stray).find("unknown key momentum"), std::string::npos);
}

TEST(Optimizer, ZeroGrad) {
  Tensor w = ones({3}, TensorOptions().requires_grad());
  SGD sgd({{"w", w}}, SGDOptions(0.1).weight_decay(0.5));
  test::set_grad(w, ones({3}));
  sgd.zero_grad();  // zeroed, as torch 1.13's default: the step still applies weight decay
  EXPECT_EQ(w.grad().data<float>()(0), 0.0f);
  sgd.step();
  EXPECT_FLOAT_EQ(w.data<float>()(0), 0.95f);
  sgd.zero_grad(/*set_to_none=*/true);
  EXPECT_FALSE(w.grad().defined());
  sgd.step();  // skipped
  EXPECT_FLOAT_EQ(w.data<float>()(0), 0.95f);
}

TEST(Optimizer, GroupsHaveTheirOwnOptions) {
  Tensor a = ones({1}, TensorOptions().requires_grad()), b = ones({1}, TensorOptions().requires_grad());
  SGD sgd({{NamedParameters{{"a", a}}}, {NamedParameters{{"b", b}}, SGDOptions(1.0)}}, SGDOptions(0.5));
  EXPECT_EQ(sgd.num_param_groups(), 2u);
  test::set_grad(a, ones({1}));
  test::set_grad(b, ones({1}));
  sgd.step();
  EXPECT_EQ(a.data<float>()(0), 0.5f);
  EXPECT_EQ(b.data<float>()(0), 0.0f);
  sgd.set_lr(1, 0.25);
  EXPECT_EQ(sgd.lr(1), 0.25);
}

TEST(Optimizer, RejectsBadParameters) {
  Tensor w = ones({2}, TensorOptions().requires_grad());
  EXPECT_THROW(SGD({{"w", w}, {"w", w}}, SGDOptions(0.1)), ValueError);
  EXPECT_THROW(SGD({{"x", Tensor()}}, SGDOptions(0.1)), ValueError);
  try {
    SGD sgd({{"y", w * 2}}, SGDOptions(0.1));
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "SGD: parameter 'y' (group 0) is not a leaf; optimize leaves only");
  }
  SGD sgd({{"w", w}}, SGDOptions(0.1));
  test::set_grad(w, ones({3}));
  EXPECT_THROW(sgd.step(), ShapeError);
}

// PyTorch: "ValueError: optimizer got an empty parameter list". A model whose submodule was never
// registered hands over no parameters; training it would silently do nothing.
TEST(Optimizer, AnEmptyParameterListIsAnError) {
  EXPECT_TRUE(test::throws<ValueError>([] { SGD(NamedParameters{}, SGDOptions(0.1)); },
                                       {"SGD: got an empty parameter list", "register_module"}));
  EXPECT_TRUE(test::throws<ValueError>([] { Adam(NamedParameters{}); }, {"Adam: got an empty parameter list"}));
  EXPECT_TRUE(test::throws<ValueError>([] { AdamW(std::vector<ParamGroup<AdamWOptions>>{}); },
                                       {"AdamW: got an empty parameter list"}));
  EXPECT_TRUE(test::throws<ValueError>(
      [] { SGD({{NamedParameters{}}, {NamedParameters{}}}, SGDOptions(0.1)); }, {"empty parameter list"}));
  // As in PyTorch, one empty group beside a non-empty one is fine (e.g. a "no decay" group that matched nothing).
  Tensor w = ones({1}, TensorOptions().requires_grad());
  EXPECT_NO_THROW(SGD({{NamedParameters{{"w", w}}}, {NamedParameters{}}}, SGDOptions(0.1)));
}

TEST(Optimizer, SetLrRejectsBadValuesAndGroups) {
  Tensor w = ones({1}, TensorOptions().requires_grad());
  for (const auto& [name, make] : optimizers()) {
    SCOPED_TRACE(name);
    auto optimizer = make({{"w", w}});
    const double before = optimizer->lr(0);
    EXPECT_EQ(test::error_of([&] { optimizer->set_lr(0, -0.5); }), name + ".set_lr: invalid lr = -0.5 (must be >= 0)");
    EXPECT_EQ(test::error_of([&] { optimizer->set_lr(0, std::nan("")); }), name + ".set_lr: invalid lr = nan (must be finite)");
    EXPECT_EQ(test::error_of([&] { optimizer->set_lr(0, INFINITY); }), name + ".set_lr: invalid lr = inf (must be finite)");
    EXPECT_TRUE(test::throws<IndexError>([&] { optimizer->set_lr(1, 0.1); },
                                         {".set_lr: param group 1, but the optimizer has 1 group"}));
    EXPECT_TRUE(test::throws<IndexError>([&] { optimizer->lr(2); }, {".lr: param group 2"}));
    EXPECT_EQ(optimizer->lr(0), before);  // a rejected value changes nothing
    optimizer->set_lr(0, 0.0);
    EXPECT_EQ(optimizer->lr(0), 0.0);
  }
}

}  // namespace
}  // namespace tg::optim
