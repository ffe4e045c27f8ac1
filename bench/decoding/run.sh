#!/usr/bin/env bash
# The decoding benchmark (bench/decoding/README.md, issue #14): greedy and beam-5 translation of 1,000
# sentences with the W5 model, sentences per second, tapegrad against PyTorch (Python) and LibTorch
# (C++) on 1 and 2 cores. First every implementation decodes all sentences once and the tokens are
# compared (exit 1 unless all agree); then the timed runs, interleaved over rounds as bench/run.sh's,
# each checked against those tokens; then one Markdown table. Also `bench/run.sh --decoding ...`.
#
#   bench/decoding/run.sh                                   # 1,000 sentences, 2 rounds x 3 passes (run on a quiet machine)
#   bench/decoding/run.sh --sentences 64 --rounds 1 --passes 1   # smoke check
#   bench/decoding/run.sh --cores 2 --impls tapegrad,pytorch --max-length 10
#
# The JSON line of every timed run is appended to build-bench/decoding-raw.jsonl; the token dumps of
# the check are in build-bench/decoding-tokens.<impl>.tsv.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${TAPEGRAD_BENCH_BUILD_DIR:-$root/build-bench}"
libtorch_build="${LIBTORCH_BENCH_BUILD_DIR:-$root/build-libtorch}"
sentences=1000 passes=3 rounds=2 cores="1 2" impls="tapegrad pytorch libtorch"
decode_options=()
usage() {
  echo "usage: $0 [--sentences N] [--passes N] [--rounds N] [--cores 1,2] [--impls tapegrad,pytorch,libtorch]" \
    "[--batch 64] [--max-length 20] [--beam 5] [--alpha 0.75] [--eos N]" >&2
  exit 2
}
while (($#)); do
  (($# >= 2)) || usage
  case "$1" in
    --sentences) sentences="$2" ;;
    --passes) passes="$2" ;;
    --rounds) rounds="$2" ;;
    --cores) cores="${2//,/ }" ;;
    --impls) impls="${2//,/ }" ;;
    --batch | --max-length | --beam | --alpha | --eos) decode_options+=("$1" "$2") ;;
    *) usage ;;
  esac
  shift 2
done

for impl in $impls; do
  case "$impl" in tapegrad | pytorch | libtorch) ;; *) echo "$0: unknown implementation $impl" >&2; usage ;; esac
done
"$root/bench/build.sh" all >&2

# One run of IMPL on a core budget, as bench/runner.py's BUDGETS: "1" = every implementation on 1
# thread (OpenBLAS too); "2" = tapegrad on 2 threads, the peers on their best 2-core setting (1
# intra-op thread + 2 OpenBLAS threads).
run() {  # run IMPL BUDGET ARGS...
  local impl="$1" budget="$2" config=1T cmd=()
  shift 2
  [ "$budget" = 1 ] || config=best2
  case "$impl" in
    tapegrad) cmd=("$build/bench/tapegrad_decoding"); [ "$budget" = 1 ] || config=2T ;;
    pytorch) cmd=(/usr/bin/python3 "$root/bench/decoding/pytorch_decoding.py") ;;
    libtorch) cmd=("$libtorch_build/libtorch_decoding") ;;
  esac
  OPENBLAS_NUM_THREADS="$budget" OMP_NUM_THREADS=1 "${cmd[@]}" --threads-config "$config" --sentences "$sentences" \
    "${decode_options[@]}" "$@"
}

# The JSON lines of a run with "round" and "cores" added.
tagged() {
  /usr/bin/python3 -c 'import json, sys
for line in sys.stdin:
    if line.startswith("{"):
        print(json.dumps(dict(json.loads(line), round=sys.argv[1], cores=sys.argv[2])), flush=True)' "$1" "$2"
}

raw="$build/decoding-raw.jsonl"
: >"$raw.check"
: >"$raw.run"
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# Correctness before timing: every implementation decodes every sentence once; the tokens must agree.
dumps=()
for impl in $impls; do
  echo "check: $impl decodes $sentences sentences" >&2
  run "$impl" 1 --passes 1 --dump "$build/decoding-tokens.$impl.tsv" | tagged check 1 >>"$raw.check"
  dumps+=("$build/decoding-tokens.$impl.tsv")
done
/usr/bin/python3 "$root/bench/decoding/report.py" compare "${dumps[@]}" >&2 || {
  echo "$0: the implementations' tokens differ (above); not timing" >&2
  exit 1
}

turn=0
read -ra order <<<"$impls"
for round in $(seq "$rounds"); do
  for budget in $cores; do
    # Rotate the order between runs, so that the machine's drift hits every implementation alike.
    shift_by=$((turn % ${#order[@]}))
    turn=$((turn + 1))
    for impl in "${order[@]:shift_by}" "${order[@]:0:shift_by}"; do
      echo "round $round: $impl on $budget core(s)" >&2
      run "$impl" "$budget" --passes "$passes" | tagged "$round" "$budget" | tee -a "$raw.run" >&2
    done
  done
done
cat "$raw.run" >>"$raw"
echo "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)."
/usr/bin/python3 "$root/bench/decoding/report.py" table "$raw.check" "$raw.run"
