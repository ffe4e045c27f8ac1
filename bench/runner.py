#!/usr/bin/python3
"""Runs W1-W7 for tapegrad, PyTorch (Python) and LibTorch (C++) interleaved, and prints one Markdown table.

Called by bench/run.sh after it has built the programs. Every round runs, for each workload and core
budget, each implementation once, rotating their order between rounds, so that the machine's drift
(up to 2x within minutes on shared cores) hits all of them alike; the step times of all rounds are
pooled before taking the median. The 1- and 2-thread sgemm peaks are measured in the same run,
before and after the workloads, and the higher figure is the ceiling.

Checks, each of which makes the exit status non-zero: every run exits cleanly and prints its JSON
line, the loss decreases from the first step to the last (all but W6), and the implementations agree on
the first step's loss (same sizes, data, initial parameters and loss).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict

from specs import DESCRIPTIONS, W6, step_gflop

# Core budgets: (label, threads-config per implementation, OpenBLAS threads).
BUDGETS = [
    ("1", {"tapegrad": "1T", "pytorch": "1T", "libtorch": "1T"}, 1),
    ("2", {"tapegrad": "2T", "pytorch": "best2", "libtorch": "best2"}, 2),
]
PEERS = ("pytorch", "libtorch")
NAMES = {"tapegrad": "tapegrad", "pytorch": "PyTorch", "libtorch": "LibTorch"}
LOSS_AGREEMENT = 1e-4  # relative; float32 sums in different orders


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tapegrad", required=True, help="the tapegrad_workloads program")
    p.add_argument("--libtorch", required=True, help="the libtorch_workloads program")
    p.add_argument("--pytorch", required=True, help="bench/pytorch/workloads.py")
    p.add_argument("--sgemm", required=True, help="the sgemm_peak program")
    p.add_argument("--workloads", default="W1,W2,W3,W4,W5,W6,W7")
    p.add_argument("--impls", default="tapegrad,pytorch,libtorch")
    p.add_argument("--cores", default="1,2", help="core budgets to run: 1, 2 or 1,2")
    p.add_argument("--steps", type=int, default=20, help="timed steps per run")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--raw", help="also append every JSON line to this file")
    return p.parse_args()


def command(args, impl, workload, config):
    common = ["--workload", workload, "--steps", str(args.steps), "--warmup", str(args.warmup),
              "--threads-config", config]
    if impl == "pytorch":
        return ["/usr/bin/python3", args.pytorch] + common
    return [getattr(args, impl)] + common


def run_one(args, impl, workload, config, blas_threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS="1")
    proc = subprocess.run(command(args, impl, workload, config), env=env, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        return None, f"{impl} {workload} {config}: exit {proc.returncode}: {tail}"
    return json.loads(lines[-1]), None


def sgemm_peak(args):
    proc = subprocess.run([args.sgemm], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fmt_ms(values):
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def fmt_us_per_op(values):
    if not values:
        return "n/a"
    per_op = [v * 1e3 / W6["ops"] for v in values]
    return f"{statistics.median(per_op):.2f} ({min(per_op):.2f}-{max(per_op):.2f})"


def main():
    args = parse_args()
    workloads = args.workloads.split(",")
    impls = args.impls.split(",")
    budgets = [b for b in BUDGETS if b[0] in args.cores.split(",")]
    problems = []
    peaks = [sgemm_peak(args)]
    print(f"sgemm 2048^3 before: {peaks[0]['gflops_1t']} GFLOP/s on 1 thread, {peaks[0]['gflops_2t']} on 2",
          file=sys.stderr)

    times = defaultdict(list)   # (workload, cores, impl) -> step times in ms, all rounds
    rss = defaultdict(float)    # (workload, cores, impl) -> peak RSS in MB, max over rounds
    first_loss = defaultdict(dict)  # workload -> impl -> first-step loss
    raw = open(args.raw, "a") if args.raw else None
    turn = 0
    for round_index in range(args.rounds):
        for workload in workloads:
            for cores, configs, blas_threads in budgets:
                order = impls[turn % len(impls):] + impls[:turn % len(impls)]
                turn += 1
                for impl in order:
                    result, error = run_one(args, impl, workload, configs[impl], blas_threads)
                    if error:
                        problems.append(error)
                        print(error, file=sys.stderr)
                        continue
                    if raw:
                        raw.write(json.dumps(dict(result, round=round_index, cores=cores)) + "\n")
                    key = (workload, cores, impl)
                    times[key] += result["times_ms"]
                    rss[key] = max(rss[key], result["peak_rss_mb"])
                    first_loss[workload].setdefault(impl, result["loss_first"])
                    if workload != "W6" and not result["loss_last"] < result["loss_first"]:
                        problems.append(f"{impl} {workload} {configs[impl]}: loss did not decrease "
                                        f"({result['loss_first']:.6f} -> {result['loss_last']:.6f})")
                    print(f"round {round_index + 1} {workload} {cores} core(s) {impl}: median "
                          f"{result['median_ms']:.2f} ms, loss {result['loss_first']:.5f} -> "
                          f"{result['loss_last']:.5f}", file=sys.stderr)
    peaks.append(sgemm_peak(args))
    peak = {1: max(p["gflops_1t"] for p in peaks), 2: max(p["gflops_2t"] for p in peaks)}

    for workload, losses in first_loss.items():
        values = list(losses.values())
        spread = (max(values) - min(values)) / max(abs(min(values)), 1e-12)
        if spread > LOSS_AGREEMENT:
            problems.append(f"{workload}: first-step losses disagree: {losses}")

    print_tables(args, workloads, impls, budgets, times, rss, first_loss, peaks, peak)
    if problems:
        print("\n**Problems:**\n" + "\n".join(f"- {p}" for p in problems))
    return 1 if problems else 0


def print_tables(args, workloads, impls, budgets, times, rss, first_loss, peaks, peak):
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {platform.node()}; {args.rounds} round(s) x "
          f"{args.steps} timed steps after {args.warmup} warm-up steps per run, implementations interleaved.")
    print(f"sgemm 2048^3 peak (the better of OpenBLAS and tapegrad's GEMM; OpenBLAS "
          f"{peaks[-1].get('openblas_1t')}/{peaks[-1].get('openblas_2t')}, tapegrad "
          f"{peaks[-1].get('tapegrad_1t')}/{peaks[-1].get('tapegrad_2t')} after): "
          f"{peak[1]:.0f} GFLOP/s on 1 thread, {peak[2]:.0f} on 2 "
          f"(before: {peaks[0]['gflops_1t']}/{peaks[0]['gflops_2t']}, after: "
          f"{peaks[-1]['gflops_1t']}/{peaks[-1]['gflops_2t']}).\n")
    trained = [w for w in workloads if w != "W6"]
    if trained:
        head = ["W", "cores"] + [f"{NAMES[i]} ms/step median (min-max)" for i in impls]
        if "tapegrad" in impls:
            head += ["tapegrad speed-up vs best PyTorch, same cores", "vs best PyTorch, any cores",
                     "tapegrad GFLOP/s", "% of sgemm peak"]
        head += ["peak RSS MB (" + " / ".join(NAMES[i] for i in impls) + ")"]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for workload in trained:
            best_any = min((statistics.median(times[(workload, c, p)]) for c, _, _ in budgets for p in PEERS
                            if times[(workload, c, p)]), default=None)
            for cores, _, _ in budgets:
                row = [f"{workload} {DESCRIPTIONS[workload]}", cores]
                row += [fmt_ms(times[(workload, cores, i)]) for i in impls]
                ours = times[(workload, cores, "tapegrad")]
                if "tapegrad" in impls:
                    peers = [statistics.median(times[(workload, cores, p)]) for p in PEERS
                             if times[(workload, cores, p)]]
                    if ours:
                        mine = statistics.median(ours)
                        gflops = step_gflop(workload) / (mine / 1e3)
                        row += [f"{min(peers) / mine:.2f}x" if peers else "n/a",
                                f"{best_any / mine:.2f}x" if best_any else "n/a",
                                f"{gflops:.0f}", f"{100 * gflops / peak[int(cores)]:.0f}%"]
                    else:
                        row += ["n/a"] * 4
                row.append(" / ".join(f"{rss[(workload, cores, i)]:.0f}" for i in impls))
                print("| " + " | ".join(row) + " |")
        print("\nGFLOP per step (analytical, 2mnk per product, forward x3): "
              + ", ".join(f"{w} {step_gflop(w):.2f}" for w in trained)
              + ". W5 projects the attention keys once per batch in all three implementations."
              + (" W7 counts the character convolutions, highway, projection, both directions' LSTMs with their"
                 " projections and the shared softmax." if "W7" in trained else ""))
    if "W6" in workloads:
        print(f"\nW6, a chain of {W6['ops']} elementwise ops on a 1x{W6['width']} tensor, forward + backward: "
              "microseconds per op, median (min-max)\n")
        head = ["cores"] + [NAMES[i] for i in impls]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for cores, _, _ in budgets:
            print("| " + " | ".join([cores] + [fmt_us_per_op(times[("W6", cores, i)]) for i in impls]) + " |")
    agree = [w for w in trained if len(first_loss[w]) > 1]
    if agree:
        print("\nFirst-step loss (same parameters and data in every implementation): "
              + "; ".join(f"{w} " + ", ".join(f"{NAMES[i]} {l:.6f}" for i, l in first_loss[w].items())
                          for w in agree) + ".")


if __name__ == "__main__":
    sys.exit(main())
