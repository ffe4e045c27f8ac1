#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan + coverage) in ./build-fuzz,
# then runs each for a bounded time. Opt-in: neither the normal build nor CI runs it.
# Usage: scripts/fuzz.sh [seconds per target (default 60)] [target ...]   (default: every target)
# A crash leaves its input in build-fuzz/artifacts/<target>/; once fixed, copy it into
# tests/data/fuzz/<target>/ so that tests/fuzz/regression_test.cpp replays it in every test run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
shift || true
"$root/scripts/setup.sh"
# clang and libFuzzer (part of compiler-rt on Debian 12).
for p in clang libclang-rt-14-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
    break
  fi
done

build="$root/build-fuzz"
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g1 \
  -DTAPEGRAD_SANITIZE=address,undefined,fuzzer-no-link -DTAPEGRAD_BUILD_FUZZERS=ON \
  -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} >/dev/null
cmake --build "$build" --parallel "$(nproc)"

targets=("$@")
if ((${#targets[@]} == 0)); then
  for exe in "$build"/tests/fuzz/fuzz_*; do targets+=("${exe##*/fuzz_}"); done
fi

# Valid inputs to start from, besides the target's regression cases.
seeds_of() {
  case "$1" in
    npz) echo "$root/tests/data/npz" ;;
    text_corpus | vocab) echo "$root/tests/data/datasets" ;;
    parallel_corpus) echo "$root/tests/data/datasets" ;;
    elmo_options | elmo_weights) echo "$root/tests/data/elmo" ;;
  esac
}

status=0
summary=""
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t"
  mkdir -p "$corpus" "$artifacts" "$root/tests/data/fuzz/$t"
  dirs=("$corpus" "$root/tests/data/fuzz/$t")
  seed="$(seeds_of "$t")"
  [ -n "$seed" ] && [ -d "$seed" ] && dirs+=("$seed")
  dict=()
  [ -f "$root/tests/fuzz/$t.dict" ] && dict=(-dict="$root/tests/fuzz/$t.dict")
  log="$build/fuzz_$t.log"
  echo "fuzz: $t for ${seconds}s (log: $log)"
  # -rss_limit_mb also caps single allocations: a forged size must not make a loader allocate GBs.
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$artifacts/" "${dict[@]}" "${dirs[@]}" >"$log" 2>&1; then
    status=1
    echo "fuzz: $t FOUND A CRASH; input(s) in $artifacts:"
    ls "$artifacts"
    grep -m1 -E "ERROR: |==ERROR|runtime error|terminate called|deadly signal" "$log" || tail -20 "$log"
  fi
  execs="$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
  cov="$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')"
  summary+="$(printf '%-16s %12s executions in %ss, coverage %s edges, corpus %s files' "$t" "${execs:-?}" \
    "$seconds" "${cov:-?}" "$(ls "$corpus" | wc -l)")"$'\n'
done
printf '%s' "$summary"
exit $status
