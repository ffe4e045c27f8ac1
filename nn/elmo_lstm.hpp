#pragma once
// ELMo's two LSTM stacks, as AllenNLP's ElmoLstm: forward and backward directions that never mix
// between layers, with residual connections from the second layer on.
#include "nn/elmo_options.hpp"
#include "nn/lstm_cell_with_projection.hpp"

#include <vector>

namespace tg::nn {

/// x (L, N, P) time-major with P = options.projection_dim_ -> one (L, N, 2P) tensor per layer: the
/// forward stack's output then the backward stack's. Layer k > 0 of each direction reads only its
/// own direction's layer k - 1 and, with use_skip_connections, adds that input to its output.
/// Outputs are zero beyond each sequence's length. Submodules are AllenNLP's forward_layer_<k> and
/// backward_layer_<k>.
///
///     auto lstm = std::make_shared<tg::nn::ElmoLstm>(tg::nn::ElmoLstmOptions().dim(64).projection_dim(16));
///     std::vector<tg::Tensor> layers = lstm->forward(x, {7, 4});   // 2 x (L, N, 32)
class ElmoLstm : public Module {
 public:
  explicit ElmoLstm(const ElmoLstmOptions& options);

  std::vector<Tensor> forward(const Tensor& x, const std::vector<std::size_t>& lengths = {});

  ElmoLstmOptions options;
  std::vector<std::shared_ptr<LstmCellWithProjection>> forward_layers, backward_layers;

 protected:
  std::string extra_repr() const override;
};

}  // namespace tg::nn
