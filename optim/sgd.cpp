#include "optim/sgd.hpp"

#include "optim/update_loop.hpp"

namespace tg::optim {

using detail::load_at;
using detail::store_at;


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

namespace {

// One parameter's update over [begin, end): reads p, g and buf once, writes p and buf once.
template <class T>
void sgd_update(const SGDOptions& o, bool fresh, T* p, const T* g, T* buf, std::size_t begin, std::size_t end) {
  const T weight_decay = T(o.weight_decay()), momentum = T(o.momentum()), neg_lr = T(-o.lr());
  const T keep = T(1 - o.dampening());
  const bool decay = o.weight_decay() != 0, nesterov = o.nesterov();
  detail::vectorized<T>(begin, end, [&](auto zero, std::size_t i) {
    using V = decltype(zero);
    const V param = load_at<V>(p + i);
    V d = load_at<V>(g + i);
    if (decay) d = d + V(weight_decay) * param;
    if (buf) {
      const V b = fresh ? d : load_at<V>(buf + i) * V(momentum) + V(keep) * d;
      store_at(buf + i, b);
      d = nesterov ? d + V(momentum) * b : b;
    }
    store_at(p + i, param + V(neg_lr) * d);
  });
}

}  // namespace

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
      sgd_update<T>(*job.options, job.fresh, job.param.data<T>().data(), job.grad.data<T>().data(),
                    job.buf.defined() ? job.buf.data<T>().data() : nullptr, begin, end);
    });
  });
}

}  // namespace tg::optim
