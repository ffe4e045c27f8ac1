#include "common/replicas.hpp"

#include <autograd/graph.hpp>

#ifdef TAPEGRAD_EXAMPLES_WITH_MPI
#include <distributed/distributed.hpp>
#endif

namespace tg::examples {

void Replicas::backward(const Tensor& loss, double weight) {
  (void)weight;
  if (loss.defined()) loss.backward();
}

std::shared_ptr<Replicas> single_process() { return std::make_shared<Replicas>(); }

#ifdef TAPEGRAD_EXAMPLES_WITH_MPI
namespace {

// The ranks of an mpirun job, through tapegrad::distributed.
class MpiReplicas : public Replicas {
 public:
  MpiReplicas(int& argc, char**& argv) : environment_(argc, argv) {}
  int rank() const override { return distributed::rank(); }
  int size() const override { return distributed::world_size(); }
  void attach(std::vector<std::pair<std::string, Tensor>> parameters) override {
    ddp_ = std::make_unique<distributed::DataParallel>(std::move(parameters));
  }
  void backward(const Tensor& loss, double weight) override {
    if (!ddp_) fail<ValueError>("Replicas::backward before attach(): no parameters to average");
    ddp_->backward(loss, weight);
  }
  void broadcast_parameters() override {
    if (ddp_) ddp_->broadcast_parameters();
  }
  void sum(std::span<double> values) override { distributed::all_reduce_sum(values); }
  void broadcast(std::string& text) override { distributed::broadcast(text); }
  void broadcast(StateDict& values) override { distributed::broadcast(values); }
  std::vector<std::string> gather(const std::string& text) override { return distributed::gather(text); }
  Tensor gather(const Tensor& local, std::size_t axis) override { return distributed::gather(local, axis); }
  void abort(int code) override { distributed::Environment::abort(code); }

 private:
  distributed::Environment environment_;  // first in, last out: MPI outlives the reducer
  std::unique_ptr<distributed::DataParallel> ddp_;
};

}  // namespace

std::shared_ptr<Replicas> launch_replicas(int& argc, char**& argv) {
  if (distributed::launched_by_mpirun()) return std::make_shared<MpiReplicas>(argc, argv);
  return single_process();
}
#else
std::shared_ptr<Replicas> launch_replicas(int& argc, char**& argv) {
  (void)argc, (void)argv;
  return single_process();
}
#endif

}  // namespace tg::examples
