#pragma once
// The exception of the distributed component.
#include <autograd/error.hpp>

namespace tg::distributed {

/// A collective that failed or timed out (a peer died or hangs), ranks that disagree (other models,
/// another world size), or MPI used before tg::distributed::Environment started it.
struct DistributedError : Error {
  using Error::Error;
};

}  // namespace tg::distributed
