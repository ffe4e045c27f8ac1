// Times one W1 training step (forward + backward, no optimizer) of WORKLOADS.md:
// Embedding(65, 64) -> LSTM(64, 256, num_layers=2) -> Linear(256, 65), batch 32, length 64, float32.
// Prints the median, min and max ms per step over the timed steps. A timing program, not a test:
// run it interleaved with another build's copy to compare them on this shared machine.
//
//     bench_rnn [steps=20] [warmup=5] [lstm|gru]
#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "nn/rnn.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::stoi(argv[1]) : 20, warmup = argc > 2 ? std::stoi(argv[2]) : 5;
  const bool gru = argc > 3 && std::string(argv[3]) == "gru";
  const std::size_t vocab = 65, embed = 64, hidden = 256, batch = 32, length = 64;
  tg::manual_seed(0);
  const tg::TensorOptions param = tg::TensorOptions().requires_grad();
  tg::Tensor table = tg::randn({vocab, embed}, param);
  tg::Tensor w_out = tg::rand({vocab, hidden}, param, -0.06, 0.06), b_out = tg::zeros({vocab}, param);
  std::shared_ptr<tg::nn::RecurrentLayer> rnn;
  if (gru) rnn = std::make_shared<tg::nn::GRU>(tg::nn::GRUOptions(embed, hidden).num_layers(2));
  else rnn = std::make_shared<tg::nn::LSTM>(tg::nn::LSTMOptions(embed, hidden).num_layers(2));
  tg::IndexArray tokens = tg::IndexArray::from_shape({length, batch});
  tg::IndexArray targets = tg::IndexArray::from_shape({length, batch});
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    tokens.data()[k] = static_cast<tg::Index>((k * 7919 + 13) % vocab);
    targets.data()[k] = static_cast<tg::Index>((k * 104729 + 5) % vocab);
  }
  std::vector<double> ms;
  for (int s = 0; s < warmup + steps; ++s) {
    const auto start = std::chrono::steady_clock::now();
    tg::Tensor x = tg::embedding(table, tokens);
    tg::Tensor logits = tg::linear(rnn->forward(x).output, w_out, b_out);
    tg::Tensor loss = tg::cross_entropy(logits, targets);
    loss.backward();
    const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (s >= warmup) ms.push_back(t);
    rnn->zero_grad();
    for (tg::Tensor p : {table, w_out, b_out}) p.zero_grad();
  }
  std::sort(ms.begin(), ms.end());
  if (ms.empty()) return 0;
  std::printf("%s ms/step: median %.2f min %.2f max %.2f (%zu steps)\n", gru ? "W2" : "W1", ms[ms.size() / 2],
              ms.front(), ms.back(), ms.size());
}
