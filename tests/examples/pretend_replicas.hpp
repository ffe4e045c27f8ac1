#pragma once
// Rank 0 of `ranks` replicas whose collectives do nothing: what a data-parallel Trainer checks
// before it communicates. (tests/distributed/*_mpi.sh run the examples under mpirun.)
#include "common/replicas.hpp"

namespace tg::test {

struct PretendReplicas : examples::Replicas {
  explicit PretendReplicas(int ranks) : ranks(ranks) {}
  int size() const override { return ranks; }
  int ranks;
};

}  // namespace tg::test
