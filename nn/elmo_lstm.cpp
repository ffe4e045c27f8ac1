#include "nn/elmo_lstm.hpp"

#include "autograd/ops.hpp"

namespace tg::nn {

ElmoLstm::ElmoLstm(const ElmoLstmOptions& options_) : Module("ElmoLstm"), options(options_) {
  if (options.n_layers_ == 0) fail<ValueError>("{}: needs at least one layer", describe());
  for (std::size_t k = 0; k < options.n_layers_; ++k)
    for (bool forward : {true, false}) {
      auto layer = std::make_shared<LstmCellWithProjection>(
          LstmCellWithProjectionOptions(options.projection_dim_, options.projection_dim_, options.dim_)
              .go_forward(forward)
              .memory_cell_clip_value(options.cell_clip_)
              .state_projection_clip_value(options.proj_clip_));
      (forward ? forward_layers : backward_layers)
          .push_back(register_module((forward ? "forward_layer_" : "backward_layer_") + std::to_string(k), layer));
    }
}

std::vector<Tensor> ElmoLstm::forward(const Tensor& x, const std::vector<std::size_t>& lengths) {
  auto scope = record_scope();
  if (x.dim() != 3 || x.shape()[2] != options.projection_dim_)
    fail<ShapeError>("{}: input of shape {} must be (L, N, {})", describe(), shape_str(x.shape()), options.projection_dim_);
  check_lengths(describe(), lengths, x.shape()[0], x.shape()[1]);
  Tensor forward_input = x, backward_input = x;
  std::vector<Tensor> layers;
  for (std::size_t k = 0; k < options.n_layers_; ++k) {
    // Both directions as one op, so that with two threads they run side by side, forward and backward.
    auto [forward_run, backward_run] =
        recurrent_sequence(forward_layers[k]->spec(), forward_layers[k]->operands(forward_input),
                           backward_layers[k]->operands(backward_input), lengths);
    Tensor forward_output = forward_run.output, backward_output = backward_run.output;
    if (k > 0 && options.use_skip_connections_) {
      forward_output = forward_output + forward_input;
      backward_output = backward_output + backward_input;
    }
    layers.push_back(concat({forward_output, backward_output}, -1));
    forward_input = forward_output;
    backward_input = backward_output;
  }
  return layers;
}

std::string ElmoLstm::extra_repr() const {
  return fmt::format("dim={}, projection_dim={}, n_layers={}, cell_clip={}, proj_clip={}, use_skip_connections={}",
                     options.dim_, options.projection_dim_, options.n_layers_, options.cell_clip_, options.proj_clip_,
                     options.use_skip_connections_);
}

}  // namespace tg::nn
