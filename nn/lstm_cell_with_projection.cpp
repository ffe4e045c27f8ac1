#include "nn/lstm_cell_with_projection.hpp"

#include "autograd/ops.hpp"
#include "nn/init.hpp"

namespace tg::nn {

namespace {

// The whole sequence of one direction, stepped with basic ops. This is the one function to replace
// with the fused projected-LSTM sequence op (issue #13); the parity test against AllenNLP's code
// (tests/nn/elmo_test.cpp) and the gradchecks check the swap.
Tensor projected_lstm_sequence(const LstmCellWithProjection& layer, const Tensor& x,
                               const std::vector<std::size_t>& lengths) {
  const auto& o = layer.options;
  const std::size_t steps = x.shape()[0], batch = x.shape()[1];
  Tensor gates_x = linear(x, layer.input_linearity->weight);  // all steps at once: one GEMM
  Tensor h = zeros({batch, o.hidden_size_}, TensorOptions().dtype(x.dtype()));
  Tensor c = zeros({batch, o.cell_size_}, TensorOptions().dtype(x.dtype()));
  std::vector<Tensor> outputs(steps);
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t t = o.go_forward_ ? s : steps - 1 - s;
    Tensor gates = select(gates_x, 0, t) + layer.state_linearity->forward(h);
    std::vector<Tensor> g = chunk(gates, 4, -1);
    Tensor c_next = sigmoid(g[0]) * tanh(g[2]) + sigmoid(g[1]) * c;
    if (o.memory_cell_clip_value_ > 0) c_next = clamp(c_next, -o.memory_cell_clip_value_, o.memory_cell_clip_value_);
    Tensor h_next = layer.state_projection->forward(sigmoid(g[3]) * tanh(c_next));
    if (o.state_projection_clip_value_ > 0)
      h_next = clamp(h_next, -o.state_projection_clip_value_, o.state_projection_clip_value_);
    Mask valid = xt::ones<bool>({batch, std::size_t(1)});
    for (std::size_t n = 0; n < lengths.size(); ++n) valid(n, 0) = t < lengths[n];
    if (xt::all(valid)) {
      c = c_next;
      h = outputs[t] = h_next;
    } else {  // finished (or not yet started, going backwards) sequences keep their state and output 0
      c = tg::where(valid, c_next, c);
      h = tg::where(valid, h_next, h);
      outputs[t] = tg::where(valid, h_next, zeros_like(h_next));
    }
  }
  return stack(outputs, 0);
}

// AllenNLP's block_orthogonal: each (rows x cols) block of the matrix its own orthogonal matrix.
void block_orthogonal_(const Tensor& weight, std::size_t rows) {
  const std::size_t cols = weight.shape()[1];
  visit_dtype(weight.dtype(), [&]<class T>() {
    for (std::size_t b = 0; b < weight.shape()[0] / rows; ++b) {
      Tensor block = zeros({rows, cols}, TensorOptions().dtype(weight.dtype()));
      init::orthogonal_(block);
      xt::view(weight.data<T>(), xt::range(b * rows, (b + 1) * rows), xt::all()) = block.data<T>();
    }
  });
}

}  // namespace

LstmCellWithProjection::LstmCellWithProjection(const LstmCellWithProjectionOptions& options_)
    : Module("LstmCellWithProjection"), options(options_) {
  if (options.input_size_ == 0 || options.hidden_size_ == 0 || options.cell_size_ == 0 ||
      options.memory_cell_clip_value_ < 0 || options.state_projection_clip_value_ < 0)
    fail<ValueError>("{}: sizes must be positive and clip values >= 0", describe());
  const std::size_t gates = 4 * options.cell_size_;
  input_linearity = register_module("input_linearity", std::make_shared<Linear>(options.input_size_, gates, false));
  state_linearity = register_module("state_linearity", std::make_shared<Linear>(options.hidden_size_, gates, true));
  state_projection =
      register_module("state_projection", std::make_shared<Linear>(options.cell_size_, options.hidden_size_, false));
  reset_parameters();
}

void LstmCellWithProjection::reset_parameters() {
  block_orthogonal_(input_linearity->weight, options.cell_size_);
  block_orthogonal_(state_linearity->weight, options.cell_size_);
  state_projection->reset_parameters();
  visit_dtype(state_linearity->bias.dtype(), [&]<class T>() {
    auto& b = state_linearity->bias.data<T>();
    b.fill(T(0));
    xt::view(b, xt::range(options.cell_size_, 2 * options.cell_size_)) = T(1);  // forget gate (Jozefowicz 2015)
  });
}

Tensor LstmCellWithProjection::forward(const Tensor& x, const std::vector<std::size_t>& lengths) {
  auto scope = record_scope();
  if (x.dim() != 3 || x.shape()[2] != options.input_size_)
    fail<ShapeError>("{}: input of shape {} must be (L, N, {})", describe(), shape_str(x.shape()), options.input_size_);
  if (!lengths.empty() && lengths.size() != x.shape()[1])
    fail<ValueError>("{}: {} lengths for a batch of {}", describe(), lengths.size(), x.shape()[1]);
  for (std::size_t n = 0; n < lengths.size(); ++n)
    if (lengths[n] > x.shape()[0])
      fail<ValueError>("{}: lengths[{}] = {} is outside [0, {}]", describe(), n, lengths[n], x.shape()[0]);
  return projected_lstm_sequence(*this, x, lengths);
}

std::string LstmCellWithProjection::extra_repr() const {
  return fmt::format("input_size={}, hidden_size={}, cell_size={}, go_forward={}, cell_clip={}, proj_clip={}",
                     options.input_size_, options.hidden_size_, options.cell_size_, options.go_forward_,
                     options.memory_cell_clip_value_, options.state_projection_clip_value_);
}

}  // namespace tg::nn
