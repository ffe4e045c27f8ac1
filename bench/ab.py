"""A/B of two builds of tapegrad's workloads: runs each workload on the two binaries interleaved,
alternating which goes first, and prints median ms per step and the ratio. For checking that a change
(a compiler flag, a kernel) costs nothing; the peers' comparison is runner.py's (bench/run.sh).
With --layers, the same for two builds of tapegrad_layers (bench/layers/README.md).

    /usr/bin/python3 bench/ab.py --a OLD/tapegrad_workloads --b NEW/tapegrad_workloads \
        --workloads W1,W3 --cores 1,2 --rounds 3 --steps 20
    /usr/bin/python3 bench/ab.py --a OLD/tapegrad_layers --b NEW/tapegrad_layers --layers W1-LSTM,W1-GRU
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

CONFIG = {"1": "1T", "2": "2T"}


def run(binary, workload, cores, steps, warmup, flag="--workload"):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([binary, flag, workload, "--steps", str(steps), "--warmup", str(warmup),
                           "--threads-config", CONFIG[cores]], env=env, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.exit(f"{binary} {workload} {cores} core(s): exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return json.loads(lines[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", required=True, help="the baseline build's tapegrad_workloads")
    p.add_argument("--b", required=True, help="the changed build's tapegrad_workloads")
    p.add_argument("--workloads", default="W1,W2,W3,W4,W5,W6")
    p.add_argument("--layers", help="layers of tapegrad_layers (W1-LSTM, ...) instead of workloads")
    p.add_argument("--cores", default="1,2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    args = p.parse_args()
    flag = "--layer" if args.layers else "--workload"
    if args.layers:
        args.workloads = args.layers

    times = {}
    for r in range(args.rounds):
        for workload in args.workloads.split(","):
            for cores in args.cores.split(","):
                order = [("a", args.a), ("b", args.b)][:: 1 if r % 2 == 0 else -1]
                for name, binary in order:
                    result = run(binary, workload, cores, args.steps, args.warmup, flag)
                    times.setdefault((workload, cores, name), []).extend(result["times_ms"])
                    print(f"round {r + 1} {workload} {cores} core(s) {name}: {result['median_ms']:.2f} ms",
                          file=sys.stderr)
    print(f"| {'layer' if args.layers else 'workload'} | cores | A ms (min-max) | B ms (min-max) | B / A |\n|---|---|---|---|---|")
    for workload in args.workloads.split(","):
        for cores in args.cores.split(","):
            a, b = times[(workload, cores, "a")], times[(workload, cores, "b")]
            print(f"| {workload} | {cores} | {statistics.median(a):.2f} ({min(a):.2f}-{max(a):.2f}) | "
                  f"{statistics.median(b):.2f} ({min(b):.2f}-{max(b):.2f}) | "
                  f"{statistics.median(b) / statistics.median(a):.3f} |")


if __name__ == "__main__":
    main()
