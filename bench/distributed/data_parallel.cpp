// W1 and W3 trained data-parallel (bench/WORKLOADS.md's step: forward, loss, backward, clipping,
// Adam), for bench/distributed/run.sh. Under mpirun each of R ranks trains on its rows of the
// workload's batch of 32 and DataParallel averages the gradients; without mpirun it is the plain
// single-process step, MPI untouched. Rank 0 prints one JSON line:
//
//     tapegrad_data_parallel --workload W3 --steps 20 --warmup 5 --threads-config 2T       # 1 rank x 2 threads
//     scripts/mpirun.sh -np 2 tapegrad_data_parallel --workload W3 --threads-config 1T       # 2 ranks x 1 thread
//     scripts/mpirun.sh -np 2 tapegrad_data_parallel --workload W3 --threads-config 1T-after  # after backward
//
// "-after" starts every bucket only once backward has finished, so its wait is the whole all-reduce;
// the overlapped run's wait is what the overlap could not hide.
#include "harness.hpp"
#include "../tapegrad/tagger.hpp"

#include <autograd/threads.hpp>
#include <datasets/sharding.hpp>
#include <distributed/distributed.hpp>
#include <optim/adam.hpp>
#include <optim/clip_grad.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace {

using bench::tapegrad::index_array;
using bench::tapegrad::Tagger;
using tg::IndexArray;
using tg::Tensor;
namespace dist = tg::distributed;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::size_t parameter_count(const std::vector<std::pair<std::string, Tensor>>& params) {
  std::size_t n = 0;
  for (const auto& [name, param] : params) n += param.numel();
  return n;
}

int run(const bench::Args& args) {
  const bool after = args.threads.ends_with("-after");
  tg::set_num_threads(args.threads.starts_with("1T") ? 1 : 2);
  const int rank = dist::initialized() ? dist::rank() : 0, ranks = dist::initialized() ? dist::world_size() : 1;

  const auto s = bench::tagger_spec(args.workload);
  const auto seq = static_cast<std::size_t>(s.seq), batch = static_cast<std::size_t>(s.batch);
  const auto n = seq * batch;
  const IndexArray inputs = index_array(bench::random_ints(args.workload + ".inputs", n, s.vocab_in), {seq, batch});
  const IndexArray targets = index_array(bench::random_ints(args.workload + ".targets", n, s.vocab_out), {seq, batch});
  const auto rows = tg::data::shard(batch, rank, ranks);
  const IndexArray my_inputs = xt::view(inputs, xt::all(), xt::range(rows.begin, rows.end));
  const IndexArray my_targets = xt::view(targets, xt::all(), xt::range(rows.begin, rows.end));

  auto model = std::make_shared<Tagger>(s);
  bench::tapegrad::init_parameters(*model);
  const auto params = model->named_parameters();
  std::optional<dist::DataParallel> ddp;
  if (dist::initialized()) ddp.emplace(params, dist::DataParallelOptions().overlap(!after));
  tg::optim::Adam adam(params, tg::optim::AdamOptions(1e-3));

  std::vector<double> step_ms, wait_ms, backward_ms;
  double loss_first = 0, loss_last = 0;
  for (int i = 0; i < args.warmup + args.steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    adam.zero_grad();
    Tensor loss = tg::cross_entropy(model->forward(my_inputs), my_targets);
    if (ddp) ddp->backward(loss, static_cast<double>(my_targets.size()));
    else loss.backward();
    tg::optim::clip_grad_norm(params, 1.0);
    adam.step();
    const auto tokens = static_cast<double>(my_targets.size());
    double mean_loss[2] = {loss.item() * tokens, tokens};
    if (ddp) dist::all_reduce_sum(mean_loss);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (i == 0) loss_first = mean_loss[0] / mean_loss[1];
    loss_last = mean_loss[0] / mean_loss[1];
    if (i < args.warmup) continue;
    step_ms.push_back(ms);
    wait_ms.push_back(ddp ? ddp->last_timing().waiting * 1e3 : 0);
    backward_ms.push_back(ddp ? ddp->last_timing().total * 1e3 : 0);
  }
  if (rank != 0) return 0;
  const double step = median(step_ms);
  fmt::print("{{\"impl\": \"tapegrad\", \"workload\": \"{}\", \"ranks\": {}, \"threads\": {}, \"overlap\": {}, "
             "\"buckets\": {}, \"buckets_started_in_backward\": {}, \"steps\": {}, \"step_ms\": {:.3f}, "
             "\"steps_per_s\": {:.3f}, \"wait_ms\": {:.3f}, "
             "\"backward_ms\": {:.3f}, \"parameters\": {}, \"loss_first\": {:.6f}, \"loss_last\": {:.6f}}}\n",
             args.workload, ranks, tg::get_num_threads(), !after && ddp ? "true" : "false",
             ddp ? ddp->num_buckets() : 0, ddp ? ddp->last_timing().started_during_backward : 0, args.steps, step,
             1e3 / step, median(wait_ms), median(backward_ms), parameter_count(params), loss_first, loss_last);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::parse_args(argc, argv, {"1T", "2T", "1T-after", "2T-after"});
  if (!dist::launched_by_mpirun()) return run(args);
  dist::Environment mpi(argc, argv);
  return run(args);
}
