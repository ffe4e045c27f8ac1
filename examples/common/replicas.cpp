#include "common/replicas.hpp"

#include <autograd/error.hpp>
#include <autograd/graph.hpp>

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <sstream>

#ifdef TAPEGRAD_EXAMPLES_WITH_MPI
#include <distributed/distributed.hpp>
#endif

namespace tg::examples {

void Replicas::backward(const Tensor& loss, double weight) {
  (void)weight;
  if (loss.defined()) loss.backward();
}

std::shared_ptr<Replicas> single_process() { return std::make_shared<Replicas>(); }

std::string read_on_rank0(Replicas& replicas, const std::string& path) {
  std::string text;
  if (replicas.rank() == 0) {
    std::ifstream file(path);
    if (!file) fail<IoError>("cannot read {}", path);
    text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  replicas.broadcast(text);
  return text;
}

StateDict load_npz_on_rank0(Replicas& replicas, const std::string& path) {
  StateDict values = replicas.rank() == 0 ? load_npz(path) : StateDict{};
  replicas.broadcast(values);
  return values;
}

void write_replica_streams(std::ostream& file, const std::vector<std::string>& streams) {
  if (streams.size() < 2) return;
  file << "replicas " << streams.size() << '\n';
  for (std::size_t r = 1; r < streams.size(); ++r) file << streams[r] << '\n';
}

std::string read_replica_stream(std::istream& rest, const std::string& rank0_stream, const Replicas& replicas,
                                const std::string& dir) {
  std::size_t writers = 1;  // a checkpoint without a "replicas N" line was written by one process
  std::string line;
  if (std::getline(rest, line)) {
    std::istringstream in(line);
    std::string word;
    if (!(in >> word >> writers) || word != "replicas") fail<IoError>("{}/checkpoint.txt: malformed line '{}'", dir, line);
  }
  const auto size = static_cast<std::size_t>(replicas.size());
  if (writers != size)
    fail<ValueError>("--resume: the run in {} was trained by {} process{} and this is {}; each process's rows of the batch and "
                     "its random stream are part of the checkpoint, so continue it {}",
                     dir, writers, writers == 1 ? "" : "es", size,
                     writers == 1 ? "without mpirun" : fmt::format("with mpirun -np {}", writers));
  std::string stream = rank0_stream;
  for (int r = 1; r <= replicas.rank(); ++r)
    if (!std::getline(rest, stream)) fail<IoError>("{}/checkpoint.txt: no random stream for rank {}", dir, r);
  return stream;
}

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
