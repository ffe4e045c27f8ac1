#pragma once
// PyTorch reference cases written by tools/references/<area>.py: arrays in one .npz with the state
// dict under "state.", gradients under "grad.", and the loss weights "dy" of loss = sum(y * dy).
#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <string>

namespace tg::test {

/// One reference file, loaded.
struct Reference {
  /// Loads tests/data/<name>.
  explicit Reference(const std::string& name);

  const Tensor& at(const std::string& key) const;
  /// The entries whose keys start with `prefix`, with the prefix removed.
  StateDict with_prefix(const std::string& prefix) const;

  std::string name;
  StateDict arrays;
};

/// max |actual - expected| <= rtol * max(1, max |expected|): relative to the tensor's scale.
::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, double rtol = 1e-5);

/// Backpropagates loss = sum(y * dy) and compares y with "y", each parameter's gradient with
/// "grad.<name>" and, when given, the input's gradient with "grad.x". `module` must be the one that
/// computed y, loaded from the reference's state.
void expect_matches_reference(const nn::Module& module, const Reference& reference, const Tensor& y,
                              const Tensor& x = Tensor(), double rtol = 1e-5);

}  // namespace tg::test
