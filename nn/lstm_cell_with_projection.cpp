#include "nn/lstm_cell_with_projection.hpp"

#include "autograd/ops.hpp"
#include "autograd/ops/rnn/recurrent.hpp"
#include "nn/init.hpp"

namespace tg::nn {

namespace {

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

CellSpec LstmCellWithProjection::spec() const {
  return {.kind = CellSpec::Kind::Lstm, .cell_clip = options.memory_cell_clip_value_,
          .proj_clip = options.state_projection_clip_value_};
}

SequenceOperands LstmCellWithProjection::operands(const Tensor& x) const {
  if (x.dim() != 3 || x.shape()[2] != options.input_size_)
    fail<ShapeError>("{}: input of shape {} must be (L, N, {})", describe(), shape_str(x.shape()), options.input_size_);
  const std::size_t batch = x.shape()[1];
  // Only the recurrent side has a bias, as AllenNLP's state_linearity; the state starts at zero.
  return {.x = x,
          .h0 = zeros({batch, options.hidden_size_}, TensorOptions().dtype(x.dtype())),
          .c0 = zeros({batch, options.cell_size_}, TensorOptions().dtype(x.dtype())),
          .weights = {.weight_ih = input_linearity->weight,
                      .weight_hh = state_linearity->weight,
                      .bias_hh = state_linearity->bias,
                      .weight_hr = state_projection->weight}};
}

Tensor LstmCellWithProjection::forward(const Tensor& x, const std::vector<std::size_t>& lengths) {
  auto scope = record_scope();
  SequenceOperands direction = operands(x);
  check_lengths(describe(), lengths, x.shape()[0], x.shape()[1]);
  return recurrent_sequence(spec(), direction, lengths, !options.go_forward_).output;
}

std::string LstmCellWithProjection::extra_repr() const {
  return fmt::format("input_size={}, hidden_size={}, cell_size={}, go_forward={}, cell_clip={}, proj_clip={}",
                     options.input_size_, options.hidden_size_, options.cell_size_, options.go_forward_,
                     options.memory_cell_clip_value_, options.state_projection_clip_value_);
}

}  // namespace tg::nn
