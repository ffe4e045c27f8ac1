#pragma once
// Starting and stopping MPI, and where this process stands in the job.
#include "distributed/error.hpp"

#include <chrono>

namespace tg::distributed {

/// Starts MPI for the lifetime of the object (one per process, in main) and stops it on destruction.
/// Every collective of tg::distributed runs on a private duplicate of MPI_COMM_WORLD, with errors
/// returned as DistributedError instead of MPI's default abort.
///
///     int main(int argc, char** argv) {
///       tg::distributed::Environment mpi(argc, argv);
///       if (tg::distributed::rank() == 0) std::cout << tg::distributed::world_size() << " processes\n";
///     }
class Environment {
 public:
  Environment(int& argc, char**& argv);
  /// MPI_Finalize, or MPI_Abort while an exception unwinds the stack: a rank leaving on an error
  /// must not leave its peers waiting in a collective.
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  /// Ends every process of the job with `code` (MPI_Abort); for a rank that failed on its own.
  [[noreturn]] static void abort(int code);
};

/// Whether this process was started by mpirun/mpiexec (Open MPI's or a PMI launcher's variables are
/// set): a program can then create an Environment, and stay single-process otherwise.
bool launched_by_mpirun();

/// Whether an Environment is alive.
bool initialized();
/// This process's rank in [0, world_size()); 0 and 1 without an Environment.
int rank();
int world_size();

/// How long a collective may wait for its peers before it throws DistributedError (a peer died or
/// hangs). 300 s by default, or TAPEGRAD_DISTRIBUTED_TIMEOUT seconds from the environment.
std::chrono::duration<double> timeout();
void set_timeout(std::chrono::duration<double> timeout);

}  // namespace tg::distributed
