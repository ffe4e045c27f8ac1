// The run-time choice of SIMD kernels (autograd/isa.hpp, autograd/ops/isa/). The gradchecks and
// PyTorch parity tests of the kernels' ops also run on the baseline kernels (ctest -R isa.sse2).
#include "support/support.hpp"

#include <algorithm>
#include <cstdlib>

namespace tg {
namespace {

/// Restores the instruction set in use when a test that changes it ends.
struct IsaGuard {
  std::string saved = simd_isa();
  ~IsaGuard() { set_simd_isa(saved); }
};

TEST(Isa, UsesTheBestInstructionSetTheCpuRuns) {
  const std::vector<std::string> isas = available_simd_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.back(), "sse2");  // every x86-64 CPU
  const char* forced = std::getenv("TAPEGRAD_ISA");
  EXPECT_EQ(simd_isa(), forced && *forced ? std::string(forced) : isas.front());
}

TEST(Isa, AnInstructionSetTheCpuDoesNotRunIsNamed) {
  IsaGuard guard;
  EXPECT_TRUE(test::throws<ValueError>([] { set_simd_isa("avx1024"); }, {"set_simd_isa", "'avx1024'", "sse2"}));
  set_simd_isa("sse2");
  EXPECT_EQ(simd_isa(), "sse2");
}

/// One forward and backward through every dispatched kernel: the recurrent gate math (LSTM, both
/// GRU forms, tanh and relu RNNs), the rows of softmax, log_softmax and cross-entropy and the maps
/// of tanh, sigmoid and exp, at sizes with SIMD tails. Returns the loss and every gradient.
std::vector<Tensor> run_kernels(Dtype dtype) {
  manual_seed(3);
  std::vector<Tensor> results;
  const Tensor x = randn({5, 3, 7}, TensorOptions().dtype(dtype).requires_grad());
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(7, 13));
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(13, 11));
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(11, 9));
  auto relu = std::make_shared<nn::RNN>(nn::RNNOptions(9, 9).nonlinearity(RnnNonlinearity::Relu));
  for (nn::Module* m : std::initializer_list<nn::Module*>{lstm.get(), gru.get(), rnn.get(), relu.get()}) m->to(dtype);
  Tensor h = relu->forward(rnn->forward(gru->forward(lstm->forward(x).output).output).output).output;
  const Tensor logits = reshape(h, {15, 9});
  const Tensor loss = cross_entropy(logits, xt::arange<Index>(15) % 9) + sum(softmax(h, 2) * log_softmax(h, 0)) +
                     sum(tanh(h) * sigmoid(h) + exp(h));
  loss.backward();
  results.push_back(loss.detach());
  results.push_back(x.grad());
  for (nn::Module* m : std::initializer_list<nn::Module*>{lstm.get(), gru.get(), rnn.get(), relu.get()})
    for (const auto& [name, p] : m->named_parameters()) results.push_back(p.grad());
  return results;
}

TEST(Isa, EveryInstructionSetComputesTheSameNumbers) {
  const std::vector<std::string> isas = available_simd_isas();
  if (isas.size() < 2) GTEST_SKIP() << "this CPU runs only " << isas.front() << ": nothing to compare";
  IsaGuard guard;
  for (const auto& [dtype, tolerance] : {std::pair{kFloat32, 2e-5}, std::pair{kFloat64, 1e-12}}) {
    set_simd_isa("sse2");
    const std::vector<Tensor> baseline = run_kernels(dtype);
    for (const std::string& isa : isas) {
      set_simd_isa(isa);
      const std::vector<Tensor> other = run_kernels(dtype);
      ASSERT_EQ(other.size(), baseline.size());
      for (std::size_t i = 0; i < other.size(); ++i)
        EXPECT_LT(test::max_abs_diff(other[i], baseline[i]), tolerance) << isa << " vs sse2, result " << i;
    }
  }
}

}  // namespace
}  // namespace tg
