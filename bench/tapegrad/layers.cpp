// The layer-level benchmark's tapegrad side (bench/layers/README.md): one forward + backward of an
// nn::LSTM / nn::GRU stack alone (no embedding, loss or optimizer), as bench/layers/onednn and
// bench/layers/pytorch_layers.py compute it.
//
//     tapegrad_layers --layer W1-LSTM --threads-config 2T --steps 10 --warmup 3
//     tapegrad_layers --layer W4-BiGRU --threads-config 1T --dump /tmp/dir   # output and gradients
//
// "1T" = tg::set_num_threads(1), "2T" = tg::set_num_threads(2) (TBB and BLAS share the cores).
// The GRU is PyTorch's (reset_after, the default), i.e. oneDNN's lbr_gru.
#include "../layers/layers.hpp"
#include "tagger.hpp"

#include "autograd/threads.hpp"

#include <memory>

namespace {

using tg::Tensor;
namespace nn = tg::nn;
namespace layers = bench::layers;

Tensor tensor_of(const std::vector<float>& values, std::vector<std::size_t> shape, bool requires_grad) {
  return tg::from_array(xt::xarray<float>(xt::adapt(values, shape)), requires_grad);
}

void dump(const std::string& dir, const std::string& name, const Tensor& t) {
  const xt::xarray<float> values = t.data<float>();  // row-major copy
  layers::write_f32(dir, name, values.data(), values.size());
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = layers::parse_args(argc, argv, {"1T", "2T"});
  tg::set_num_threads(args.threads == "1T" ? 1 : 2);
  const auto s = layers::layer_spec(args.layer);
  const auto T = static_cast<std::size_t>(s.T), N = static_cast<std::size_t>(s.N);
  const auto I = static_cast<std::size_t>(s.I), H = static_cast<std::size_t>(s.H);
  const auto L = static_cast<std::size_t>(s.layers), D = static_cast<std::size_t>(s.directions());

  std::shared_ptr<nn::RecurrentLayer> rnn;
  if (s.lstm)
    rnn = std::make_shared<nn::LSTM>(nn::LSTMOptions(I, H).num_layers(L).bidirectional(s.bidirectional));
  else
    rnn = std::make_shared<nn::GRU>(nn::GRUOptions(I, H).num_layers(L).bidirectional(s.bidirectional).reset_after(true));
  bench::tapegrad::init_parameters(*rnn);  // PyTorch's names: weight_ih_l0, ..., bias_hh_l1_reverse
  const auto params = rnn->named_parameters();
  const Tensor x = tensor_of(layers::input_values(s), {T, N, I}, true);
  const Tensor dy = tensor_of(layers::output_grad_values(s), {T, N, D * H}, false);

  Tensor output;
  auto step = [&]() {
    for (auto& [name, p] : params) p.zero_grad();
    x.zero_grad();
    output = rnn->forward(x).output;  // zero initial state
    output.backward(dy);              // d sum(output * dy) / d output = dy
    return 0.0;
  };

  if (!args.dump.empty()) {
    step();
    step();  // the second step's results: a gradient that accumulates across steps shows
    dump(args.dump, "output", output);
    dump(args.dump, "input.grad", x.grad());
    for (auto& [name, p] : params) dump(args.dump, name + ".grad", p.grad());
    return 0;
  }
  layers::report("tapegrad", args, step);
}
