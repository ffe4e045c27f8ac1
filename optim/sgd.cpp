#include "optim/sgd.hpp"

#include "optim/update_kernels.hpp"
#include "optim/update_loop.hpp"

namespace tg::optim {


void SGDOptions::validate(std::string_view optimizer) const {
  check_option(lr_ >= 0, optimizer, "lr", lr_, "must be >= 0");
  check_option(momentum_ >= 0, optimizer, "momentum", momentum_, "must be >= 0");
  // The gradient enters the buffer times 1 - dampening: outside [0, 1] it would flip or grow.
  check_option(dampening_ >= 0 && dampening_ <= 1, optimizer, "dampening", dampening_, "must be in [0, 1]");
  check_option(weight_decay_ >= 0, optimizer, "weight_decay", weight_decay_, "must be >= 0");
  if (nesterov_ && (momentum_ <= 0 || dampening_ != 0))
    fail<ValueError>("{}: nesterov = true needs momentum > 0 and dampening = 0, got momentum = {}, dampening = {}",
                     optimizer, momentum_, dampening_);
}

SGD::SGD(NamedParameters params, SGDOptions options) : SGD(std::vector<ParamGroup<SGDOptions>>{{std::move(params)}}, options) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups, SGDOptions defaults)
    : GroupedOptimizer("SGD", std::move(groups), std::move(defaults)) {}

void SGD::step() {
  struct Job {
    const SGDOptions* options;
    Tensor param, grad, buf;
    bool fresh;
  };
  std::vector<Job> jobs;
  std::vector<std::size_t> sizes;
  for (const auto& group : groups_)
    for (const auto& [name, param] : group.params) {
      Tensor grad = grad_of(name, param);
      if (!grad.defined()) continue;
      Job job{&group.options, param, grad, Tensor(), false};
      if (group.options.momentum() != 0) job.buf = buffer(name, param, "momentum_buffer", &job.fresh);
      jobs.push_back(std::move(job));
      sizes.push_back(param.numel());
    }
  detail::for_each_chunk(sizes, [&](std::size_t k, std::size_t begin, std::size_t end, std::size_t) {
    const Job& job = jobs[k];
    visit_dtype(job.param.dtype(), [&]<class T>() {
      const SGDOptions& o = *job.options;
      detail::update_kernels<T>().sgd({o.lr(), o.momentum(), o.dampening(), o.weight_decay(), o.nesterov()}, job.fresh, job.param.data<T>().data(), job.grad.data<T>().data(),
                    job.buf.defined() ? job.buf.data<T>().data() : nullptr, begin, end);
    });
  });
}

}  // namespace tg::optim
