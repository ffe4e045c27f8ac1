#pragma once
// Data-parallel training over MPI: everything of tapegrad::distributed (link that target; it
// exists when CMake found MPI). docs/distributed.md says how to launch and how it works.
#include "distributed/collectives.hpp"
#include "distributed/data_parallel.hpp"
#include "distributed/environment.hpp"
#include "distributed/error.hpp"
#include "datasets/sharding.hpp"  // tg::data::shard, ShardedEpochs: which examples each rank reads
