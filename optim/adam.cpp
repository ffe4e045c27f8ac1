#include "optim/adam.hpp"

#include "optim/adamw.hpp"
#include "optim/update_loop.hpp"

#include <cmath>

namespace tg::optim {

using detail::load_at;
using detail::store_at;


template <class Self>
void AdamFamilyOptions<Self>::validate(std::string_view optimizer) const {
  check_option(lr_ >= 0, optimizer, "lr", lr_, "must be >= 0");
  check_option(eps_ >= 0, optimizer, "eps", eps_, "must be >= 0");
  check_option(beta1_ >= 0 && beta1_ < 1, optimizer, "beta1", beta1_, "must be in [0, 1)");
  check_option(beta2_ >= 0 && beta2_ < 1, optimizer, "beta2", beta2_, "must be in [0, 1)");
  check_option(weight_decay_ >= 0, optimizer, "weight_decay", weight_decay_, "must be >= 0");
}

template class AdamFamilyOptions<AdamOptions>;
template class AdamFamilyOptions<AdamWOptions>;

Adam::Adam(NamedParameters params, AdamOptions options)
    : Adam(std::vector<ParamGroup<AdamOptions>>{{std::move(params)}}, options) {}
Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups, AdamOptions defaults)
    : AdamFamily("Adam", std::move(groups), std::move(defaults)) {}

namespace {

// The scalars of one parameter's step, computed in double as torch does in Python, then rounded
// to the parameter's type as torch's kernels round Python scalars.
struct AdamScalars {
  double beta1, beta2, eps, weight_decay, decay_factor, step_size, bias_correction2_sqrt;
  bool coupled_decay, amsgrad;
};

// One parameter's update over [begin, end): reads p, g, m, v (vmax) once and writes them once.
template <class T>
void adam_update(const AdamScalars& s, T* p, const T* g, T* m, T* v, T* vmax, std::size_t begin, std::size_t end) {
  const T beta1 = T(s.beta1), one_minus_beta1 = T(1 - s.beta1), beta2 = T(s.beta2), one_minus_beta2 = T(1 - s.beta2);
  const T eps = T(s.eps), weight_decay = T(s.weight_decay), decay_factor = T(s.decay_factor);
  const T neg_step_size = T(-s.step_size), bias_correction2_sqrt = T(s.bias_correction2_sqrt);
  detail::vectorized<T>(begin, end, [&](auto zero, std::size_t i) {
    using V = decltype(zero);
    V param = load_at<V>(p + i);
    V grad = load_at<V>(g + i);
    if (s.coupled_decay) grad = grad + V(weight_decay) * param;
    param = param * V(decay_factor);  // AdamW's decoupled decay; exactly 1 otherwise
    const V exp_avg = load_at<V>(m + i) * V(beta1) + V(one_minus_beta1) * grad;
    V exp_avg_sq = load_at<V>(v + i) * V(beta2) + V(one_minus_beta2) * grad * grad;
    store_at(m + i, exp_avg);
    store_at(v + i, exp_avg_sq);
    if (s.amsgrad) {
      exp_avg_sq = detail::vmax(load_at<V>(vmax + i), exp_avg_sq);
      store_at(vmax + i, exp_avg_sq);
    }
    const V denom = detail::vsqrt(exp_avg_sq) / V(bias_correction2_sqrt) + V(eps);
    store_at(p + i, param + V(neg_step_size) * exp_avg / denom);
  });
}

struct AdamJob {
  AdamScalars scalars;
  Tensor param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq;
};

void run(const std::vector<AdamJob>& jobs, const std::vector<std::size_t>& sizes) {
  detail::for_each_chunk(sizes, [&](std::size_t k, std::size_t begin, std::size_t end, std::size_t) {
    const AdamJob& job = jobs[k];
    visit_dtype(job.param.dtype(), [&]<class T>() {
      adam_update<T>(job.scalars, job.param.data<T>().data(), job.grad.data<T>().data(), job.exp_avg.data<T>().data(),
                     job.exp_avg_sq.data<T>().data(),
                     job.max_exp_avg_sq.defined() ? job.max_exp_avg_sq.data<T>().data() : nullptr, begin, end);
    });
  });
}

}  // namespace

template <class Options>
void AdamFamily<Options>::step() {
  std::vector<AdamJob> jobs;
  std::vector<std::size_t> sizes;
  for (const auto& group : this->groups_)
    for (const auto& [name, param] : group.params) {
      Tensor grad = this->grad_of(name, param);
      if (!grad.defined()) continue;
      const Options& o = group.options;
      Tensor& step_count = this->state_[name]["step"];
      if (!step_count.defined()) step_count = tensor(0.0, kFloat64);
      const double step = (step_count.data<double>()() += 1);
      const double wd = o.weight_decay();
      const bool decoupled = Options::kDecoupledWeightDecay;
      AdamJob job{{o.betas().first, o.betas().second, o.eps(), wd, decoupled ? 1 - o.lr() * wd : 1.0,
               o.lr() / (1 - std::pow(o.betas().first, step)), std::sqrt(1 - std::pow(o.betas().second, step)),
               !decoupled && wd != 0, o.amsgrad()},
              param, grad, this->buffer(name, param, "exp_avg"), this->buffer(name, param, "exp_avg_sq"), Tensor()};
      if (o.amsgrad()) job.max_exp_avg_sq = this->buffer(name, param, "max_exp_avg_sq");
      jobs.push_back(std::move(job));
      sizes.push_back(param.numel());
    }
  run(jobs, sizes);
}

template class AdamFamily<AdamOptions>;
template class AdamFamily<AdamWOptions>;

}  // namespace tg::optim
