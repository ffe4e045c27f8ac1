#include "optim/adam.hpp"

#include "optim/adamw.hpp"
#include "optim/update_kernels.hpp"
#include "optim/update_loop.hpp"

#include <cmath>

namespace tg::optim {

using detail::AdamScalars;


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

struct AdamJob {
  AdamScalars scalars;
  Tensor param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq;
};

void run(const std::vector<AdamJob>& jobs, const std::vector<std::size_t>& sizes) {
  detail::for_each_chunk(sizes, [&](std::size_t k, std::size_t begin, std::size_t end, std::size_t) {
    const AdamJob& job = jobs[k];
    visit_dtype(job.param.dtype(), [&]<class T>() {
      detail::update_kernels<T>().adam(job.scalars, job.param.data<T>().data(), job.grad.data<T>().data(), job.exp_avg.data<T>().data(),
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
