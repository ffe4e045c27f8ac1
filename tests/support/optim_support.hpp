#pragma once
// Helpers shared by the optimizer tests: setting gradients by hand, replaying torch.optim reference
// runs, and a deterministic "training" loop for determinism and resume tests.
#include "support/support.hpp"

#include <functional>
#include <memory>

namespace tg::test {

/// Sets `param`'s gradient to a copy of `grad` (as `p.grad = g` in PyTorch).
void set_grad(const Tensor& param, const Tensor& grad);

/// Builds an optimizer over two groups: {"w"} with the defaults, {"b"} with that config's overrides.
using OptimizerFactory = std::function<std::unique_ptr<optim::Optimizer>(optim::NamedParameters w, optim::NamedParameters b)>;

/// Replays tests/data/optim/<name>.npz (written by tools/references/optim.py): the params, the
/// gradient of each step (none for a missing key), and returns the largest |tapegrad - torch| over
/// every parameter after every step.
double replay_optimizer_reference(const std::string& name, const OptimizerFactory& make);

/// Parameters of a small "model": float32 tensors big enough to span several update chunks.
optim::NamedParameters make_training_params(std::uint64_t seed = 3);

/// `steps` steps of a training loop whose gradient depends on the parameters and the step index
/// (g = sin(3 p + step) * scale), starting the step count at `first_step`.
void train_steps(optim::Optimizer& optimizer, const optim::NamedParameters& params, int first_step, int steps);

/// The lr before each of `epochs` scheduler steps (what tools/references/optim.py records).
std::vector<double> lr_sequence(optim::Optimizer& optimizer, optim::LRScheduler& scheduler, std::size_t epochs);

/// Max |lrs - reference| for the schedule `key` of tests/data/optim/schedulers.npz.
double schedule_diff(const std::vector<double>& lrs, const std::string& key);

/// Trains fresh make_training_params() for 3 steps with `make`'s optimizer once per thread count.
std::vector<optim::NamedParameters> train_at_thread_counts(
    const std::function<std::unique_ptr<optim::Optimizer>(const optim::NamedParameters&)>& make,
    const std::vector<int>& thread_counts);

/// The message of the tapegrad Error that `f` throws, or "no error".
std::string error_of(const std::function<void()>& f);

/// Whether all values of two parameter lists are bitwise equal.
::testing::AssertionResult bitwise_equal(const optim::NamedParameters& a, const optim::NamedParameters& b);

}  // namespace tg::test
