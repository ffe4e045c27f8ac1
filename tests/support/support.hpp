#pragma once
// Helpers shared by tapegrad's tests.
#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace tg::test {

/// A float64 leaf of standard normal values that requires grad, from a fixed seed.
Tensor random_input(const Shape& shape, std::uint64_t seed = 1, double scale = 1.0);

/// Gradchecks op `name` (as declared in autograd/ops.hpp) on `inputs`. The name is how
/// tests/autograd/op_coverage_test.cpp knows that every op of the library has a gradcheck case.
::testing::AssertionResult gradcheck_op(const std::string& name,
                                        const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                        const std::vector<Tensor>& inputs, GradcheckOptions options = {});

/// Restores tg::set_num_threads's setting when a test that changes it ends (also on failure).
///
///     test::ThreadsGuard guard;
///     set_num_threads(2);
struct ThreadsGuard {
  int saved = get_num_threads();
  ~ThreadsGuard() { set_num_threads(saved); }
  ThreadsGuard() = default;
  ThreadsGuard(const ThreadsGuard&) = delete;
  ThreadsGuard& operator=(const ThreadsGuard&) = delete;
};

/// Max |a - b| over two tensors of the same shape (as float64).
double max_abs_diff(const Tensor& a, const Tensor& b);

/// True if a and b have the same dtype, shape and bytes (bit for bit; +0 and -0 differ).
bool same_bits(const Tensor& a, const Tensor& b);

/// Path of a file under tests/data/.
std::string data_path(const std::string& name);

/// Writes `contents` (bytes as given) to a fresh file under the system temp folder and returns its
/// path; `name` makes it recognisable (e.g. "vocab.txt").
std::string write_temp_file(const std::string& name, const std::string& contents);

/// Path of a shared corpus (../shared/data/NAME beside the repository), or "" if absent.
std::string shared_data_path(const std::string& name);

/// Checks that `f()` throws E with a message containing every one of `parts`:
///     EXPECT_TRUE(test::throws<ShapeError>([&] { concat({a, b}, 0); }, {"concat", "[2, 3]"}));
template <class E, class F>
::testing::AssertionResult throws(F&& f, std::initializer_list<std::string_view> parts) {
  try {
    f();
  } catch (const E& e) {
    const std::string message = e.what();
    for (std::string_view part : parts)
      if (message.find(part) == std::string::npos)
        return ::testing::AssertionFailure() << "message \"" << message << "\" lacks \"" << part << "\"";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw the wrong type: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

/// Replays a PyTorch reference file under tests/data/ (written by tools/references/*.py as inputs
/// x0, x1, ..., output y, weight w and gradients dx_i of sum(y * w)): runs f on the inputs as float64
/// leaves, compares y (NaN matching NaN), backpropagates w and compares every dx_i, within atol.
::testing::AssertionResult matches_reference(const std::string& file,
                                             const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                             double atol = 1e-10);

/// An integer array stored in a reference file (load_npz reads integers as float32).
IndexArray reference_ids(const std::string& file, const std::string& key);

}  // namespace tg::test
