#pragma once
// Helpers shared by tapegrad's tests.
#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace tg::test {

/// A float64 leaf of standard normal values that requires grad, from a fixed seed.
Tensor random_input(const Shape& shape, std::uint64_t seed = 1, double scale = 1.0);

/// Gradchecks op `name` (as declared in autograd/ops.hpp) on `inputs`. The name is how
/// tests/autograd/op_coverage_test.cpp knows that every op of the library has a gradcheck case.
::testing::AssertionResult gradcheck_op(const std::string& name,
                                        const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                        const std::vector<Tensor>& inputs, GradcheckOptions options = {});

/// Max |a - b| over two tensors of the same shape (as float64).
double max_abs_diff(const Tensor& a, const Tensor& b);

/// Path of a file under tests/data/.
std::string data_path(const std::string& name);

/// Path of a shared corpus (../shared/data/NAME beside the repository), or "" if absent.
std::string shared_data_path(const std::string& name);

}  // namespace tg::test
