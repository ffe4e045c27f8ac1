#pragma once
// Internal to distributed/: the job's communicator and the one way to wait on it, with a deadline.
#include "distributed/error.hpp"

#include <mpi.h>

#include <span>
#include <string_view>

namespace tg::distributed::detail {

/// The private duplicate of MPI_COMM_WORLD; DistributedError if no Environment is alive.
MPI_Comm communicator();

/// Throws DistributedError naming `what` and MPI's message unless `code` is MPI_SUCCESS.
void check(int code, std::string_view what);

/// Drives MPI's progress on `requests` (MPI_Testall) without blocking; true once all completed.
bool test(std::span<MPI_Request> requests, std::string_view what);

/// Waits for `requests`, polling so that a peer that died or hangs becomes a DistributedError after
/// timeout() instead of a hang.
void wait(std::span<MPI_Request> requests, std::string_view what);

}  // namespace tg::distributed::detail
