#!/usr/bin/env bash
# Data-parallel on this machine (issue #17): steps per second of W1 and W3 (bench/WORKLOADS.md,
# global batch 32) for 1 rank x 2 threads against 2 ranks x 1 thread, the all-reduce's share of a
# 2-rank step, and how much of it the overlap with backward hides. Prints one Markdown table; the
# JSON line of every run goes to build-bench/data-parallel-raw.jsonl.
#
#   bench/distributed/run.sh                              # 3 rounds x 20 steps, interleaved (run on a quiet machine)
#   bench/distributed/run.sh --steps 1 --warmup 0 --rounds 1   # smoke check: builds and runs each setting once
#
# Per workload and round: "1x2T" (one process, no MPI), "2x1T" (2 ranks, buckets all-reduced as their
# gradients become final) and "2x1T-after" (2 ranks, every bucket started after backward: its wait
# is the whole all-reduce). Share = wait(after) / step(after); hidden = 1 - wait(overlap) / wait(after).
# Then, with W3, the scaling model across hosts (bench/distributed/scaling.py, docs/distributed.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${TAPEGRAD_BENCH_BUILD_DIR:-$root/build-bench}"
steps=20 warmup=5 rounds=3 workloads="W1 W3"
while (($#)); do
  case "$1" in
    --steps) steps="$2" ;;
    --warmup) warmup="$2" ;;
    --rounds) rounds="$2" ;;
    --workloads) workloads="${2//,/ }" ;;
    *) echo "usage: $0 [--steps N] [--warmup N] [--rounds N] [--workloads W1,W3]" >&2; exit 2 ;;
  esac
  shift 2
done

"$root/bench/build.sh" tapegrad >&2
cmake --build "$build" --parallel "${BENCH_JOBS:-2}" --target tapegrad_data_parallel >&2
program="$build/bench/tapegrad_data_parallel"
[ -x "$program" ] || { echo "$0: no $program (was MPI found? scripts/setup.sh installs it)" >&2; exit 1; }
raw="$build/data-parallel-raw.jsonl"
: >"$raw.run"
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
common=(--steps "$steps" --warmup "$warmup")
for round in $(seq "$rounds"); do
  for w in $workloads; do
    echo "round $round: $w" >&2
    OPENBLAS_NUM_THREADS=1 "$program" --workload "$w" "${common[@]}" --threads-config 2T | tee -a "$raw.run"
    OPENBLAS_NUM_THREADS=1 "$root/scripts/mpirun.sh" -np 2 "$program" --workload "$w" "${common[@]}" --threads-config 1T |
      tee -a "$raw.run"
    OPENBLAS_NUM_THREADS=1 "$root/scripts/mpirun.sh" -np 2 "$program" --workload "$w" "${common[@]}" \
      --threads-config 1T-after | tee -a "$raw.run"
  done
done >&2
cat "$raw.run" >>"$raw"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

/usr/bin/python3 - "$raw.run" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
def med(w, ranks, overlap, key):
    v = [r[key] for r in runs if r["workload"] == w and r["ranks"] == ranks and (ranks == 1 or r["overlap"] == overlap)]
    return statistics.median(v)
print("| W | 1 rank x 2 threads (steps/s) | 2 ranks x 1 thread (steps/s) | 2x1 / 1x2 | all-reduce share of a 2-rank step | hidden by overlap | buckets |")
print("|---|---:|---:|---:|---:|---:|---:|")
for w in sorted({r["workload"] for r in runs}):
    one, two = med(w, 1, False, "steps_per_s"), med(w, 2, True, "steps_per_s")
    wait_after, step_after = med(w, 2, False, "wait_ms"), med(w, 2, False, "step_ms")
    wait_overlap = med(w, 2, True, "wait_ms")
    hidden = 1 - wait_overlap / wait_after if wait_after > 0 else float("nan")
    buckets = max(r["buckets"] for r in runs if r["workload"] == w)
    print(f"| {w} | {one:.2f} | {two:.2f} | {two / one:.2f} | {wait_after / step_after:.1%} ({wait_after:.1f} of {step_after:.1f} ms) | {hidden:.0%} | {buckets} |")
PY

# The scaling model across hosts (docs/distributed.md), calibrated by this run's W3 numbers.
if [[ " $workloads " == *" W3 "* ]]; then
  echo
  /usr/bin/python3 "$root/bench/distributed/scaling.py" "$raw.run" --workload W3
fi
