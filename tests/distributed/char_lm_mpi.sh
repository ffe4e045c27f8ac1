#!/usr/bin/env bash
# char_lm under mpirun -np 2 on localhost, as a user runs it (tests/distributed/CMakeLists.txt):
#   char_lm_mpi.sh <char_lm> <scratch folder> equivalence | dies | hangs
# equivalence: 2 ranks on 4 + 4 rows report the perplexities of 1 process on 8 (to 3 decimals).
# dies:  rank 1 is SIGKILLed mid-run: mpirun must end rank 0 too, within 30 s, naming the dead rank;
#        rank 0's last checkpoint must resume with 2 ranks, and be refused by 3 with the reason.
# hangs: rank 1 is stopped (SIGSTOP): rank 0's all-reduce must give up after
#        TAPEGRAD_DISTRIBUTED_TIMEOUT, say so, and end the job.
set -uo pipefail
char_lm="$1" scratch="$2" mode="$3"
mpirun="$(cd "$(dirname "$0")/../.." && pwd)/scripts/mpirun.sh"
rm -rf "$scratch" && mkdir -p "$scratch"
small=(--threads 1 --hidden 32 --batch-size 8 --num-steps 16 --sample-chars 0)
# Fails the test, first ending a background mpirun still running (its ranks, then itself): left
# alone, a run of 1000000 steps would outlive the test by hours (CI, once).
fail() {
  echo "FAILED: $*"
  for job in $(jobs -p); do pkill -KILL -P "$job"; kill -KILL "$job"; done 2>/dev/null
  exit 1
}

# The pid of rank $2 among the children of mpirun (pid $1). grep reads the environment itself (-z:
# NUL-separated): piped through tr, grep -q could exit before tr's second write (/proc gives a page
# per read), and pipefail turned tr's SIGPIPE into "not found" (CI, once).
rank_pid() {
  for p in $(pgrep -P "$1"); do
    grep -qxz "OMPI_COMM_WORLD_RANK=$2" "/proc/$p/environ" 2>/dev/null && echo "$p"
  done
}

# Starts a long run in the background, waits for its first checkpoint, then sends $1 to rank 1.
# Sets `pid` (mpirun) and `started` (seconds).
start_and_signal() {
  "$mpirun" -np 2 "$char_lm" "${small[@]}" --steps 1000000 --checkpoint-every 5 --out "$scratch/run" \
    >"$scratch/log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [ -e "$scratch/run/checkpoint.txt" ] && break; sleep 0.1; done
  [ -e "$scratch/run/checkpoint.txt" ] || fail "no checkpoint after 60 s: $(cat "$scratch/log")"
  sleep 0.5  # mid-run: between checkpoints, or writing one
  local victim
  victim="$(rank_pid "$pid" 1)"
  [ -n "$victim" ] || fail "rank 1 not found among mpirun's children"
  started=$SECONDS
  kill "-$1" "$victim"
}

# Waits for mpirun to end, at most $1 seconds; it must fail.
expect_job_ends_within() {
  for _ in $(seq $(($1 * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fail "the job still runs $1 s after rank 1 failed"; fi
  wait "$pid" && fail "mpirun exited with 0 after rank 1 failed"
  echo "the job ended $((SECONDS - started)) s after rank 1 failed; its output ends with:"
  tail -n 12 "$scratch/log"
}

case "$mode" in
  equivalence)
    "$char_lm" "${small[@]}" --steps 12 --out "$scratch/one" 2>"$scratch/one.log" || fail "$(cat "$scratch/one.log")"
    "$mpirun" -np 2 "$char_lm" "${small[@]}" --steps 12 --out "$scratch/two" 2>"$scratch/two.log" ||
      fail "$(cat "$scratch/two.log")"
    one="$(grep -o 'train perplexity.*' "$scratch/one.log")" two="$(grep -o 'train perplexity.*' "$scratch/two.log")"
    echo "1 process: $one"; echo "2 ranks:   $two"
    [ -n "$one" ] && [ "$one" = "$two" ] || fail "the perplexities differ"
    ;;
  dies)
    start_and_signal KILL
    expect_job_ends_within 30
    grep -q "signal 9" "$scratch/log" || fail "mpirun did not say that rank 1 was killed"
    steps="$(head -n 1 "$scratch/run/checkpoint.txt")"
    echo "rank 0's last checkpoint: step $steps"
    "$mpirun" -np 3 "$char_lm" --threads 1 --out "$scratch/run" --resume --steps $((steps + 5)) >"$scratch/np3.log" 2>&1 &&
      fail "3 ranks resumed a checkpoint of 2"
    grep -q "trained by 2 processes and this is 3" "$scratch/np3.log" || fail "no reason given: $(cat "$scratch/np3.log")"
    "$mpirun" -np 2 "$char_lm" --threads 1 --out "$scratch/run" --resume --steps $((steps + 5)) >"$scratch/resume.log" 2>&1 ||
      fail "resuming failed: $(cat "$scratch/resume.log")"
    grep "resumed" "$scratch/resume.log"
    ;;
  hangs)
    export TAPEGRAD_DISTRIBUTED_TIMEOUT=3
    start_and_signal STOP
    expect_job_ends_within 30
    grep -q "did not complete within 3 s: another rank has died or hangs" "$scratch/log" ||
      fail "rank 0 did not say why it stopped"
    ;;
  *) fail "unknown mode '$mode'" ;;
esac
echo "passed"
