#include "support/optim_support.hpp"

#include <cstring>
#include <limits>

namespace tg::test {

void set_grad(const Tensor& param, const Tensor& grad) {
  param.impl().grad = std::make_shared<TensorImpl>();
  param.impl().grad->value = grad.detach().impl().value;
}

double replay_optimizer_reference(const std::string& name, const OptimizerFactory& make) {
  const StateDict ref = load_npz(data_path("optim/" + name + ".npz"));
  Tensor w = ref.at("p0.w").clone_leaf(true), b = ref.at("p0.b").clone_leaf(true);
  auto optimizer = make({{"w", w}}, {{"b", b}});
  double worst = 0;
  for (int step = 0; ref.contains(fmt::format("p.{}.w", step)); ++step) {
    for (const auto& [key, param] : {std::pair{"w", w}, std::pair{"b", b}}) {
      auto grad = ref.find(fmt::format("grad.{}.{}", step, key));
      if (grad == ref.end()) param.zero_grad();
      else set_grad(param, grad->second);
    }
    optimizer->step();
    worst = std::max({worst, max_abs_diff(w, ref.at(fmt::format("p.{}.w", step))),
                      max_abs_diff(b, ref.at(fmt::format("p.{}.b", step)))});
  }
  return worst;
}

optim::NamedParameters make_training_params(std::uint64_t seed) {
  Generator g(seed);
  // 200,003 elements: three full update chunks and a ragged one; plus small tensors.
  return {{"encoder.weight", randn({200003}, kFloat32, &g).requires_grad_()},
          {"encoder.bias", randn({17}, kFloat32, &g).requires_grad_()},
          {"head.weight", randn({64, 33}, kFloat32, &g).requires_grad_()}};
}

void train_steps(optim::Optimizer& optimizer, const optim::NamedParameters& params, int first_step, int steps) {
  for (int step = first_step; step < first_step + steps; ++step) {
    for (const auto& [name, p] : params) {
      xt::xarray<float> g = xt::sin(p.data<float>() * 3.0f + float(step)) * 0.5f;
      set_grad(p, from_array(std::move(g)));
    }
    optimizer.step();
  }
}

std::vector<double> lr_sequence(optim::Optimizer& optimizer, optim::LRScheduler& scheduler, std::size_t epochs) {
  std::vector<double> lrs;
  for (std::size_t e = 0; e < epochs; ++e) {
    lrs.push_back(optimizer.lr());
    scheduler.step();
  }
  return lrs;
}

double schedule_diff(const std::vector<double>& lrs, const std::string& key) {
  const Tensor ref = load_npz(data_path("optim/schedulers.npz")).at(key);
  if (lrs.size() != ref.numel()) return std::numeric_limits<double>::infinity();
  return max_abs_diff(from_array(xt::xarray<double>(xt::adapt(lrs))), ref);
}

std::vector<optim::NamedParameters> train_at_thread_counts(
    const std::function<std::unique_ptr<optim::Optimizer>(const optim::NamedParameters&)>& make,
    const std::vector<int>& thread_counts) {
  std::vector<optim::NamedParameters> results;
  for (int threads : thread_counts) {
    set_num_threads(threads);
    optim::NamedParameters params = make_training_params();
    train_steps(*make(params), params, 0, 3);
    results.push_back(params);
  }
  set_num_threads(0);
  return results;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

::testing::AssertionResult bitwise_equal(const optim::NamedParameters& a, const optim::NamedParameters& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " parameters";
  for (std::size_t k = 0; k < a.size(); ++k) {
    const auto& x = a[k].second.data<float>();
    const auto& y = b[k].second.data<float>();
    if (x.shape() != y.shape() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0)
      return ::testing::AssertionFailure() << a[k].first << " differs (max |diff| "
                                           << max_abs_diff(a[k].second, b[k].second) << ")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace tg::test
