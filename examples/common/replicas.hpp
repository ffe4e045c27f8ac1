#pragma once
// The processes that train one model together, as the examples see them: one process, or the ranks
// of an mpirun job when tapegrad was built with MPI (tapegrad::distributed). Examples program
// against this seam, so that they build and run the same without MPI; a training loop that uses it
// (char_lm's Trainer) is data-parallel under mpirun with no other change.
#include <autograd/io/npz.hpp>
#include <autograd/tensor.hpp>

#include <istream>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tg::examples {

/// One process by default; MpiReplicas (replicas.cpp) under mpirun. Every member is collective:
/// every replica calls it, in the same order.
///
///     auto replicas = tg::examples::launch_replicas(argc, argv);    // once, in main
///     replicas->attach(model->named_parameters());                   // rank 0's weights everywhere
///     replicas->backward(loss, my_examples);                         // averaged gradients
///     if (replicas->rank() == 0) save(...);
class Replicas {
 public:
  virtual ~Replicas() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  /// Averages the gradients of `parameters` over the replicas from now on, starting from rank 0's values.
  virtual void attach(std::vector<std::pair<std::string, Tensor>> parameters) { (void)parameters; }
  /// loss.backward(); each parameter's gradient becomes the mean over replicas weighted by `weight`
  /// (this replica's examples; an undefined loss with weight 0 if it has none).
  virtual void backward(const Tensor& loss, double weight);
  /// Re-sends rank 0's parameter values (after rank 0 loaded a checkpoint).
  virtual void broadcast_parameters() {}
  /// Element-wise sums over the replicas, in place.
  virtual void sum(std::span<double> values) { (void)values; }
  /// Rank 0's value on every replica.
  virtual void broadcast(std::string& text) { (void)text; }
  virtual void broadcast(StateDict& values) { (void)values; }
  /// Every replica's `text` in rank order on rank 0; empty elsewhere.
  virtual std::vector<std::string> gather(const std::string& text) { return {text}; }
  /// The replicas' `local` joined along `axis` on rank 0; undefined elsewhere.
  virtual Tensor gather(const Tensor& local, std::size_t axis) { (void)axis; return local; }
  /// Ends every replica after this one failed alone, so that none waits for it.
  virtual void abort(int code) { (void)code; }
};

/// The replicas of this process: MPI's ranks if tapegrad was built with MPI and the program was
/// started by mpirun, else one. Starts MPI (argc/argv as MPI_Init's); call once, in main, and keep
/// the result until main returns.
std::shared_ptr<Replicas> launch_replicas(int& argc, char**& argv);

/// A single process (what launch_replicas gives outside mpirun).
std::shared_ptr<Replicas> single_process();

// ---- checkpoints of a data-parallel run ---------------------------------------------------------
// Rank 0 writes and reads the files (the other replicas may run on hosts without them). Besides the
// single-process lines, a checkpoint of N > 1 replicas ends with "replicas N" and the random streams
// of ranks 1 .. N-1 (each draws its own dropout masks); it resumes only with N replicas.

/// Rank 0's text of `path` on every replica (IoError on rank 0 if it cannot be read).
std::string read_on_rank0(Replicas& replicas, const std::string& path);
/// Rank 0's load_npz(path) on every replica.
StateDict load_npz_on_rank0(Replicas& replicas, const std::string& path);
/// Writes the "replicas N" line and the streams of ranks 1 .. N-1 of `streams` (every rank's, from
/// gather); nothing for one process.
void write_replica_streams(std::ostream& file, const std::vector<std::string>& streams);
/// This replica's random stream from the rest of `dir`/checkpoint.txt (`rest`, after the
/// single-process lines, whose stream is rank 0's): ValueError naming both counts if the checkpoint
/// was written by another number of replicas, IoError if it is malformed.
std::string read_replica_stream(std::istream& rest, const std::string& rank0_stream, const Replicas& replicas,
                                const std::string& dir);

}  // namespace tg::examples
