// The Module base: registration, dotted names, modes, dtype conversion, state dicts, printout.
#include "support/support.hpp"

#include <nn/module.hpp>
#include <nn/module_list.hpp>

#include <filesystem>

namespace tg::nn {
namespace {

/// A leaf with a parameter of a given shape and a buffer, standing in for a layer.
struct Leaf : Module {
  explicit Leaf(Shape shape) : Module("Leaf") {
    weight = register_parameter("weight", randn(shape));
    count = register_buffer("count", zeros({1}));
  }
  std::string extra_repr() const override { return "k=1"; }
  Tensor weight, count;
};

struct Block : Module {
  Block() : Module("Block") {
    rnn = register_module("rnn", std::make_shared<Leaf>(Shape{4, 3}));
    scale = register_parameter("scale", ones({3}));
  }
  std::shared_ptr<Leaf> rnn;
  Tensor scale;
};

struct Net : Module {
  Net() : Module("Net") {
    embed = register_module("embed", std::make_shared<Leaf>(Shape{5, 2}));
    encoder = register_module("encoder", std::make_shared<Block>());
  }
  std::shared_ptr<Leaf> embed;
  std::shared_ptr<Block> encoder;
};

std::vector<std::string> keys(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> out;
  for (const auto& entry : named) out.push_back(entry.first);
  return out;
}

TEST(Module, NamesAreDottedAndInRegistrationOrder) {
  Net net;
  EXPECT_EQ(keys(net.named_parameters()),
            (std::vector<std::string>{"embed.weight", "encoder.scale", "encoder.rnn.weight"}));
  EXPECT_EQ(keys(net.named_parameters(false)), std::vector<std::string>{});
  EXPECT_EQ(keys(net.named_buffers()), (std::vector<std::string>{"embed.count", "encoder.rnn.count"}));
  EXPECT_EQ(net.parameters().size(), 3u);
  EXPECT_EQ(net.num_parameters(), 10u + 3u + 12u);
  EXPECT_TRUE(net.parameters()[0].requires_grad());
  EXPECT_FALSE(net.buffers()[0].requires_grad());
  EXPECT_EQ(net.children().size(), 2u);
  std::vector<std::string> modules;
  for (const auto& [name, m] : net.named_modules()) modules.push_back(name + ":" + m->type_name());
  EXPECT_EQ(modules, (std::vector<std::string>{":Net", "embed:Leaf", "encoder:Block", "encoder.rnn:Leaf"}));
  // The handles a layer keeps are the registered tensors themselves.
  EXPECT_EQ(net.encoder->rnn->weight.impl_ptr(), net.named_parameters()[2].second.impl_ptr());
}

TEST(Module, RegistrationRejectsBadNames) {
  Leaf leaf({2});
  EXPECT_THROW(leaf.register_parameter("weight", zeros({1})), ValueError);
  EXPECT_THROW(leaf.register_buffer("a.b", zeros({1})), ValueError);
  EXPECT_THROW(leaf.register_parameter("", zeros({1})), ValueError);
  EXPECT_THROW(leaf.register_parameter("bias", Tensor()), ValueError);
  EXPECT_THROW(leaf.register_module("child", std::shared_ptr<Module>()), ValueError);
}

TEST(Module, TrainEvalIsRecursive) {
  Net net;
  EXPECT_TRUE(net.encoder->rnn->is_training());
  net.eval();
  EXPECT_FALSE(net.is_training());
  EXPECT_FALSE(net.encoder->rnn->is_training());
  net.train();
  EXPECT_TRUE(net.encoder->rnn->is_training());
}

TEST(Module, ZeroGradDropsGradients) {
  Net net;
  sum(net.embed->weight * 2).backward();
  ASSERT_TRUE(net.embed->weight.grad().defined());
  net.zero_grad();
  EXPECT_FALSE(net.embed->weight.grad().defined());
}

TEST(Module, ToConvertsInPlaceAndKeepsHandles) {
  Net net;
  Tensor held = net.encoder->rnn->weight;  // as an optimizer would hold it
  const xt::xarray<float> before = held.data<float>();
  sum(held).backward();
  net.to(kFloat64);
  EXPECT_EQ(held.dtype(), kFloat64);
  EXPECT_EQ(held.grad().dtype(), kFloat64);
  EXPECT_EQ(net.encoder->rnn->count.dtype(), kFloat64);
  EXPECT_TRUE(held.requires_grad());
  EXPECT_EQ(test::max_abs_diff(held, Tensor(xt::xarray<float>(before))), 0.0);
  net.to(kFloat32);
  EXPECT_EQ(held.dtype(), kFloat32);
}

TEST(Module, StateDictRoundTripsThroughAFile) {
  manual_seed(1);
  Net a;
  manual_seed(2);
  Net b;
  b.to(kFloat64);
  ASSERT_GT(test::max_abs_diff(a.embed->weight, b.embed->weight), 0.0);
  a.encoder->rnn->count.data<float>()(0) = 7;
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("tapegrad_module_{}.npz", ::getpid())).string();
  a.save(path);
  Tensor held = b.embed->weight;
  b.load(path);
  std::filesystem::remove(path);
  EXPECT_EQ(held.impl_ptr(), b.embed->weight.impl_ptr());
  EXPECT_EQ(held.dtype(), kFloat64);  // values converted to the module's dtype
  for (const auto& [name, t] : a.state_dict()) EXPECT_EQ(test::max_abs_diff(t, b.state_dict().at(name)), 0.0) << name;
  EXPECT_EQ(b.encoder->rnn->count.item(), 7.0);
}

TEST(Module, StrictLoadNamesEveryMissingAndUnexpectedKey) {
  Net net;
  StateDict state = net.state_dict();
  state.erase("embed.weight");
  state.erase("encoder.rnn.count");
  state["encoder.extra"] = zeros({1});
  const Tensor before = net.encoder->scale.detach();
  try {
    net.load_state_dict(state);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("missing keys: embed.weight, encoder.rnn.count"), std::string::npos) << what;
    EXPECT_NE(what.find("unexpected keys: encoder.extra"), std::string::npos) << what;
  }
  net.load_state_dict(state, /*strict=*/false);  // loads what matches
}

TEST(Module, ShapeMismatchIsNamedAndNothingIsLoaded) {
  Net net;
  StateDict state;
  for (const auto& [name, t] : net.state_dict()) state[name] = zeros(t.shape());
  state["encoder.rnn.weight"] = zeros({3, 4});
  try {
    net.load_state_dict(state, /*strict=*/false);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("encoder.rnn.weight: expected [4, 3], got [3, 4]"), std::string::npos)
        << e.what();
  }
  EXPECT_GT(xt::amax(xt::abs(net.embed->weight.data<float>()))(), 0.0f);  // untouched
}

TEST(Module, LoadErrorsNameTheFileAndTheKeys) {
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("tapegrad_module_load_{}.npz", ::getpid())).string();
  Leaf(Shape{4, 3}).save(path);
  Net net;
  const std::string where = "Net::load('" + path + "')";
  EXPECT_TRUE(test::throws<ValueError>([&] { net.load(path); },
                                       {where, "missing keys: embed.count", "unexpected keys: count, weight"}));
  Leaf transposed(Shape{3, 4});
  EXPECT_TRUE(test::throws<ShapeError>([&] { transposed.load(path); },
                                       {"Leaf::load('" + path + "'): shape mismatch: weight: expected [3, 4], got [4, 3]"}));
  std::filesystem::remove(path);
  EXPECT_TRUE(test::throws<IoError>([&] { net.load(path); }, {path, "cannot open"}));
}

// numpy_savez.npz holds int64 'i8' = [-3, 0, 7]: an integer array is not silently made a float parameter.
TEST(Module, LoadRefusesAnIntegerArrayForAFloatTensor) {
  struct Ids : Module {
    Ids() : Module("Ids") { register_parameter("i8", zeros({3})); }
  } ids;
  const std::string path = test::data_path("npz/numpy_savez.npz");
  EXPECT_TRUE(test::throws<DtypeError>([&] { ids.load(path, /*strict=*/false); },
                                       {"Ids::load('" + path + "'): 'i8' is an integer array in the file, but the module's "
                                        "tensor is float32"}));
}

TEST(Module, PrintsTheTreeWithShapesAndCount) {
  Net net;
  EXPECT_EQ(net.str(),
            "Net(\n"
            "  (embed): Leaf(k=1)  {weight [5, 2]}\n"
            "  (encoder): Block(\n"
            "    (rnn): Leaf(k=1)  {weight [4, 3]}\n"
            "  )  {scale [3]}\n"
            ")  # 25 parameters");
}

TEST(Module, ForwardScopeNamesTheModulePath) {
  struct Probe : Module {
    Probe() : Module("Probe") {}
    std::string forward() const {
      auto scope = record_scope();
      return current_scope();
    }
  };
  struct Outer : Module {
    Outer() : Module("Outer") { probe = register_module("probe", std::make_shared<Probe>()); }
    std::string forward() const {
      auto scope = record_scope();
      return probe->forward();
    }
    std::shared_ptr<Probe> probe;
  };
  EXPECT_EQ(Outer().forward(), "Outer.probe");
  EXPECT_EQ(current_scope(), "");
}

TEST(ModuleList, RegistersByIndexAndCastsBack) {
  ModuleList list;
  list.push_back(std::make_shared<Leaf>(Shape{2}));
  list.push_back(std::make_shared<Block>());
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(keys(list.named_parameters()), (std::vector<std::string>{"0.weight", "1.scale", "1.rnn.weight"}));
  EXPECT_EQ(list.at<Block>(1)->scale.impl_ptr(), list.named_parameters()[1].second.impl_ptr());
  EXPECT_EQ(list[0]->type_name(), "Leaf");
  EXPECT_THROW(list.at<Block>(0), ValueError);
}

}  // namespace
}  // namespace tg::nn
