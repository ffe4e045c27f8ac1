// Sequential: composition, PyTorch names, loading a PyTorch-saved state dict, printout, gradcheck.
#include "support/reference.hpp"
#include "support/support.hpp"

#include <nn/layer_norm.hpp>
#include <nn/linear.hpp>
#include <nn/module_gradcheck.hpp>
#include <nn/sequential.hpp>

namespace tg::nn {
namespace {

/// The model of tools/references/nn.py: Linear(4, 8), ReLU, Linear(8, 3), LayerNorm(3).
std::shared_ptr<Sequential> make_model() {
  return std::make_shared<Sequential>(std::make_shared<Linear>(4, 8), std::make_shared<Functional>("relu", relu),
                                      std::make_shared<Linear>(8, 3), std::make_shared<LayerNorm>(3));
}

TEST(Sequential, NamesMatchPyTorch) {
  std::vector<std::string> names;
  for (const auto& [name, t] : make_model()->named_parameters()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"}));
}

TEST(Sequential, LoadsAStateDictSavedFromPyTorch) {
  auto model = make_model();
  model->load(test::data_path("nn/torch_sequential.npz"));  // strict: every key matched
  const StateDict io = load_npz(test::data_path("nn/torch_sequential_io.npz"));
  EXPECT_TRUE(test::all_close(model->forward(io.at("x")), io.at("y")));
}

TEST(Sequential, RunsInOrderAndGradchecks) {
  auto model = make_model();
  model->to(kFloat64);
  Tensor x = test::random_input({3, 4});
  auto fc0 = std::dynamic_pointer_cast<Linear>(model->children()[0]);
  auto fc2 = std::dynamic_pointer_cast<Linear>(model->children()[2]);
  auto norm = std::dynamic_pointer_cast<LayerNorm>(model->children()[3]);
  EXPECT_EQ(test::max_abs_diff(model->forward(x), norm->forward(fc2->forward(relu(fc0->forward(x))))), 0.0);
  EXPECT_TRUE(gradcheck(*model, [&] { return model->forward(x); }).ok);
}

TEST(Sequential, Prints) {
  EXPECT_EQ(make_model()->str(),
            "Sequential(\n"
            "  (0): Linear(in_features=4, out_features=8, bias=true)  {weight [8, 4], bias [8]}\n"
            "  (1): Functional(relu)\n"
            "  (2): Linear(in_features=8, out_features=3, bias=true)  {weight [3, 8], bias [3]}\n"
            "  (3): LayerNorm((3,), eps=1e-05, elementwise_affine=true)  {weight [3], bias [3]}\n"
            ")  # 73 parameters");
}

TEST(Sequential, AnomalyMessagesNameTheModulePath) {
  auto model = std::make_shared<Sequential>(std::make_shared<Functional>("log", [](const Tensor& x) { return log(x); }));
  DetectAnomalyGuard anomaly;
  try {
    model->forward(full({1, 2}, -5.0, TensorOptions().requires_grad()));  // log of a negative number: NaN
    FAIL() << "expected an anomaly";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("recorded in module 'Sequential.0'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tg::nn
