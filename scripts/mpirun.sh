#!/usr/bin/env bash
# mpirun for this machine and for CI containers: `scripts/mpirun.sh -np 2 build/examples/char_lm ...`.
# - As root (containers, CI), Open MPI refuses to start without its two opt-in variables.
# - Processes talk through shared memory (btl self,vader), so no network interface is needed; the
#   vader transport copies through a buffer instead of cross-process memory access (CMA), which
#   containers without ptrace permission refuse.
# - --oversubscribe: more ranks than cores on localhost (the tests run 2-3 ranks on 2 shared cores).
# Across hosts, call mpirun itself with --hostfile (docs/distributed.md); these settings are for one host.
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_btl="${OMPI_MCA_btl:-self,vader}"
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
# Not to spin waiting for a peer on a core another rank needs.
export OMPI_MCA_mpi_yield_when_idle="${OMPI_MCA_mpi_yield_when_idle:-1}"
exec mpirun --oversubscribe --bind-to none "$@"
