// Can the recurrent layers learn? Small sequence tasks that each need a specific ability, trained
// for a few hundred Adam steps from fixed seeds (seconds each):
//   delayed echo   y_t = x_{t-3}            memory of a few steps (1-layer RNN)
//   first recall   y_end = x_0 after 40 steps of distractors: long memory (LSTM, GRU; tanh RNN is the
//                  control that is expected to fail, its accuracy is printed, not asserted)
//   look-ahead     y_t = x_{t+2}            needs the future: solved bidirectionally, impossible
//                                           (about 50%) for a unidirectional layer
#include "support/support.hpp"

#include <nn/rnn.hpp>

namespace tg::nn {
namespace {

/// A task: inputs (L, N, F), targets (L, N, 1) in {-1, +1}, and weights (L, N, 1) saying which
/// positions are scored (1) or not (0).
struct Batch {
  Tensor x, target, weight;
};

/// Adam (Kingma & Ba) over a fixed list of float32 parameters; small and local to this test.
class Adam {
 public:
  Adam(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
    for (const Tensor& p : params_) {
      m_.push_back(xt::zeros_like(p.data<float>()));
      v_.push_back(xt::zeros_like(p.data<float>()));
    }
  }
  void step() {
    ++t_;
    // Clip the global gradient norm to 1, as usual for recurrent nets (exploding gradients).
    double norm2 = 0;
    for (const Tensor& p : params_)
      if (p.grad().defined()) norm2 += xt::sum(xt::square(p.grad().data<float>()))();
    const float scale = norm2 > 1 ? static_cast<float>(1 / std::sqrt(norm2)) : 1.0f;
    const double c1 = 1 - std::pow(0.9, t_), c2 = 1 - std::pow(0.999, t_);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (!params_[i].grad().defined()) continue;
      const xt::xarray<float> g = params_[i].grad().data<float>() * scale;
      m_[i] = 0.9f * m_[i] + 0.1f * g;
      v_[i] = 0.999f * v_[i] + 0.001f * g * g;
      params_[i].data<float>() -= static_cast<float>(lr_) * (m_[i] / static_cast<float>(c1)) /
                                  (xt::sqrt(v_[i] / static_cast<float>(c2)) + 1e-8f);
      params_[i].zero_grad();
    }
  }

 private:
  std::vector<Tensor> params_;
  std::vector<xt::xarray<float>> m_, v_;
  double lr_;
  int t_ = 0;
};

/// A recurrent layer with a linear read-out of one logit per step.
struct Model {
  std::shared_ptr<RecurrentLayer> rnn;
  Tensor w, b;

  explicit Model(std::shared_ptr<RecurrentLayer> layer) : rnn(std::move(layer)) {
    const std::size_t width = rnn->num_directions() * rnn->output_size();
    w = rand({1, width}, TensorOptions().requires_grad(), -0.3, 0.3);
    b = zeros({1}, TensorOptions().requires_grad());
  }
  Tensor logits(const Tensor& x) { return linear(rnn->forward(x).output, w, b); }
  std::vector<Tensor> parameters() {
    std::vector<Tensor> all = rnn->parameters();
    all.push_back(w);
    all.push_back(b);
    return all;
  }
};

/// Mean over the scored positions of log(1 + exp(-y z)): logistic loss with targets y in {-1, +1}.
Tensor logistic_loss(const Tensor& z, const Batch& batch) {
  Tensor per_position = log(1.0 + exp(-(z * batch.target)));
  return sum(per_position * batch.weight) / sum(batch.weight).item();
}

/// Fraction of scored positions where the logit has the target's sign.
double accuracy(Model& model, const Batch& batch) {
  NoGradGuard no_grad;
  const xt::xarray<float>& z = model.logits(batch.x).data<float>();
  const xt::xarray<float>& y = batch.target.data<float>();
  const xt::xarray<float>& w = batch.weight.data<float>();
  double right = 0, total = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    if (w.data()[i] == 0) continue;
    total += 1;
    right += (z.data()[i] > 0) == (y.data()[i] > 0);
  }
  return right / total;
}

/// Trains on fresh batches from `make(generator)` and returns the accuracy on a held-out batch.
template <class Make>
double train(Model& model, Make make, int steps, double lr, std::uint64_t seed) {
  Generator data(seed);
  Adam adam(model.parameters(), lr);
  for (int i = 0; i < steps; ++i) {
    Batch batch = make(data, 32);
    logistic_loss(model.logits(batch.x), batch).backward();
    adam.step();
  }
  return accuracy(model, make(data, 512));
}

/// Random bits as +-1 in x (L, N, features), feature 0.
xt::xarray<float> random_bits(Generator& g, std::size_t steps, std::size_t batch, std::size_t features) {
  xt::xarray<float> x = xt::zeros<float>({steps, batch, features});
  for (std::size_t t = 0; t < steps; ++t)
    for (std::size_t n = 0; n < batch; ++n) x(t, n, 0) = g.uniform() < 0.5 ? -1.0f : 1.0f;
  return x;
}

/// y_t = x_{t + shift} (shift < 0: the past, > 0: the future), scored where that step exists.
Batch echo(Generator& g, std::size_t batch, std::size_t steps, long shift) {
  xt::xarray<float> x = random_bits(g, steps, batch, 1);
  xt::xarray<float> y = xt::zeros<float>({steps, batch, std::size_t(1)}), w = y;
  for (std::size_t t = 0; t < steps; ++t) {
    const long source = static_cast<long>(t) + shift;
    if (source < 0 || source >= static_cast<long>(steps)) continue;
    for (std::size_t n = 0; n < batch; ++n) y(t, n, 0) = x(source, n, 0), w(t, n, 0) = 1;
  }
  return {from_array(std::move(x)), from_array(std::move(y)), from_array(std::move(w))};
}

/// Feature 0: random bits at every step; feature 1 marks step 0. Target: the bit of step 0, scored
/// at the last step only.
Batch first_symbol(Generator& g, std::size_t batch, std::size_t steps) {
  xt::xarray<float> x = random_bits(g, steps, batch, 2);
  xt::xarray<float> y = xt::zeros<float>({steps, batch, std::size_t(1)}), w = y;
  for (std::size_t n = 0; n < batch; ++n) {
    x(0, n, 1) = 1;
    y(steps - 1, n, 0) = x(0, n, 0);
    w(steps - 1, n, 0) = 1;
  }
  return {from_array(std::move(x)), from_array(std::move(y)), from_array(std::move(w))};
}

TEST(RecurrentLearning, DelayedEchoWithRnn) {
  manual_seed(1);
  Model model(std::make_shared<RNN>(RNNOptions(1, 16)));
  const double acc = train(model, [](Generator& g, std::size_t n) { return echo(g, n, 16, -3); }, 400, 0.01, 2);
  std::cout << "[ learning ] delayed echo y_t = x_{t-3}, RNN(16): bit accuracy " << acc << "\n";
  EXPECT_GE(acc, 0.99);
}

/// Trains `model` on first-symbol recall over 40 steps; prints and returns the accuracy.
double first_symbol_accuracy(Model& model, const std::string& label) {
  const double acc =
      train(model, [](Generator& g, std::size_t n) { return first_symbol(g, n, 40); }, 800, 0.03, 4);
  std::cout << "[ learning ] first-symbol recall over 40 steps, " << label << ": accuracy " << acc << "\n";
  return acc;
}

TEST(RecurrentLearning, FirstSymbolRecallOver40StepsLstm) {
  manual_seed(3);
  Model lstm(std::make_shared<LSTM>(LSTMOptions(2, 16)));
  // Forget-gate bias 3 (sigmoid(3) = 0.95) so that memory survives 40 steps from the start, the
  // usual remedy (Gers et al. 2000; Jozefowicz et al. 2015 use 1; chrono init gives ~log(T)).
  // With PyTorch's default init (forget gate ~0.5) this LSTM did not learn the task in 1500 steps.
  xt::view(lstm.rnn->weights(0, 0).bias_ih.data<float>(), xt::range(16, 32)) = 3.0f;
  EXPECT_GE(first_symbol_accuracy(lstm, "LSTM(16)"), 0.95);
}

TEST(RecurrentLearning, FirstSymbolRecallOver40StepsGru) {
  manual_seed(3);
  Model gru(std::make_shared<GRU>(GRUOptions(2, 16)));
  EXPECT_GE(first_symbol_accuracy(gru, "GRU(16)"), 0.95);
}

TEST(RecurrentLearning, FirstSymbolRecallOver40StepsTanhRnnControl) {
  manual_seed(3);
  Model rnn(std::make_shared<RNN>(RNNOptions(2, 16)));
  // Reported, not asserted: a vanilla RNN is expected to fail (vanishing gradients over 40 steps
  // of distractors); with other seeds it reached 0.48-0.77 here.
  first_symbol_accuracy(rnn, "tanh RNN(16) (control, expected to fail)");
}

TEST(RecurrentLearning, LookAheadNeedsTheReverseDirection) {
  auto task = [](Generator& g, std::size_t n) { return echo(g, n, 16, 2); };
  manual_seed(5);
  Model bi(std::make_shared<GRU>(GRUOptions(1, 16).bidirectional(true)));
  const double bi_acc = train(bi, task, 300, 0.01, 6);
  manual_seed(5);
  Model uni(std::make_shared<GRU>(GRUOptions(1, 16)));
  const double uni_acc = train(uni, task, 300, 0.01, 6);
  std::cout << "[ learning ] look-ahead y_t = x_{t+2}: bidirectional GRU " << bi_acc << ", unidirectional "
            << uni_acc << "\n";
  EXPECT_GE(bi_acc, 0.99);
  EXPECT_LT(uni_acc, 0.75);
}

}  // namespace
}  // namespace tg::nn
