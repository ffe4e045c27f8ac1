#pragma once
// 1-D convolution over (N, C_in, L), as torch.nn.Conv1d (the op is tg::conv1d), and max-over-time
// pooling.
#include "nn/module.hpp"

namespace tg::nn {

/// Maximum over the last axis (time): (N, C, L) -> (N, C). The pooling of a character CNN (ELMo).
Tensor max_over_time(const Tensor& x);

struct Conv1dOptions {
  Conv1dOptions(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  Conv1dOptions& stride(std::size_t s) { stride_ = s; return *this; }
  Conv1dOptions& padding(std::size_t p) { padding_ = p; return *this; }
  Conv1dOptions& bias(bool on) { bias_ = on; return *this; }

  std::size_t in_channels_;
  std::size_t out_channels_;
  std::size_t kernel_size_;
  std::size_t stride_ = 1;
  std::size_t padding_ = 0;
  bool bias_ = true;
};

/// (N, C_in, L) -> (N, C_out, L_out). Weight (C_out, C_in, K) and bias (C_out) start as PyTorch's:
/// U(-1/sqrt(C_in K), 1/sqrt(C_in K)).
///
///     auto conv = std::make_shared<tg::nn::Conv1d>(tg::nn::Conv1dOptions(16, 32, 3).padding(1));
///     tg::Tensor features = conv->forward_max_over_time(chars);   // (N, 32)
class Conv1d : public Module {
 public:
  explicit Conv1d(const Conv1dOptions& options);
  Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel_size)
      : Conv1d(Conv1dOptions(in_channels, out_channels, kernel_size)) {}

  Tensor forward(const Tensor& x);
  /// max_over_time(forward(x)), (N, C_out), without holding forward(x): tg::conv1d_max_over_time.
  Tensor forward_max_over_time(const Tensor& x);
  void reset_parameters();

  Conv1dOptions options;
  Tensor weight;
  Tensor bias;  // undefined when options.bias_ is false

 protected:
  std::string extra_repr() const override;

 private:
  void check_input(const Tensor& x) const;
};

}  // namespace tg::nn
