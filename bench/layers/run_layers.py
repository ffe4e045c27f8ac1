#!/usr/bin/python3
"""Checks the oneDNN and tapegrad layer steps against PyTorch's, then times the three interleaved.

Called by bench/layers/run.sh after it has built the programs (bench/layers/README.md).

Check (always, in full, before any timing): each implementation runs two steps of every layer on
every core budget and writes the second step's output and gradients (bench/layers/layers.hpp's
--dump); each tensor of oneDNN and tapegrad must agree with PyTorch's within
max|a - b| / max|b| <= --tolerance. Any disagreement is named (layer, implementation, tensor) and
nothing is timed.

Timing: every round runs, for each layer and core budget, each implementation once, rotating their
order between rounds; the step times of all rounds are pooled before taking the median.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np

from layers import LAYERS, describe, step_gflop

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from runner import BUDGETS as WORKLOAD_BUDGETS  # noqa: E402

IMPLS = ("onednn", "tapegrad", "pytorch")
NAMES = {"onednn": "oneDNN", "tapegrad": "tapegrad", "pytorch": "PyTorch"}
# Core budgets: (label, threads-config per implementation, OpenBLAS threads, OpenMP threads), those
# of bench/runner.py (PyTorch "best2" = 1 intra-op + 2 OpenBLAS threads) plus oneDNN's OpenMP pool.
BUDGETS = [(label, dict(configs, onednn=f"{label}T"), blas, int(label)) for label, configs, blas in WORKLOAD_BUDGETS]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--onednn", required=True, help="the onednn_layers program")
    p.add_argument("--tapegrad", required=True, help="the tapegrad_layers program")
    p.add_argument("--pytorch", required=True, help="bench/layers/pytorch_layers.py")
    p.add_argument("--layers", default=",".join(LAYERS))
    p.add_argument("--cores", default="1,2", help="core budgets: 1, 2 or 1,2")
    p.add_argument("--steps", type=int, default=10, help="timed steps per run")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--tolerance", type=float, default=1e-4, help="max|a-b| / max|b| per tensor")
    p.add_argument("--check-only", action="store_true", help="check, do not time")
    p.add_argument("--show-peer-bug", action="store_true",
                   help="also check oneDNN without an initial state (2.6.3's weight_hh gradient bug), "
                        "expecting the check to catch it")
    p.add_argument("--raw", help="also append every JSON line to this file")
    return p.parse_args()


def command(args, impl, layer, config, extra=()):
    common = ["--layer", layer, "--steps", str(args.steps), "--warmup", str(args.warmup),
              "--threads-config", config, *extra]
    if impl == "pytorch":
        return ["/usr/bin/python3", args.pytorch] + common
    return [getattr(args, impl)] + common


def environment(impl, blas_threads, omp_threads):
    return dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads),
                OMP_NUM_THREADS=str(omp_threads if impl == "onednn" else 1))


def run(args, impl, layer, budget, extra=()):
    _, configs, blas, omp = budget
    proc = subprocess.run(command(args, impl, layer, configs[impl], extra), env=environment(impl, blas, omp),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"{impl} {layer} {configs[impl]}: exit {proc.returncode}: {tail}")
    return proc.stdout


def load(directory):
    return {f[:-4]: np.fromfile(os.path.join(directory, f), dtype=np.float32)
            for f in sorted(os.listdir(directory)) if f.endswith(".f32")}


def compare(got, want):
    """Per tensor of `want`: max|a-b| / max|b|, or an error string."""
    errors = {}
    for name, b in want.items():
        if name not in got:
            errors[name] = "missing"
        elif got[name].size != b.size:
            errors[name] = f"{got[name].size} values, want {b.size}"
        elif not np.all(np.isfinite(got[name])):
            errors[name] = "not finite"
        else:
            errors[name] = float(np.max(np.abs(got[name].astype(np.float64) - b)) / max(np.max(np.abs(b)), 1e-30))
    return errors


def check(args, layers, budgets, tmp):
    """Returns (problems, summary lines)."""
    problems, lines = [], []
    worst = defaultdict(lambda: (0.0, ""))  # impl -> (max relative error, where)
    for layer in layers:
        for budget in budgets:
            dumps = {}
            variants = [(impl, impl, ()) for impl in IMPLS]
            if args.show_peer_bug:
                variants.append(("onednn without initial state", "onednn", ("--no-initial-state",)))
            for label, impl, extra in variants:
                directory = os.path.join(tmp, f"{layer}-{budget[0]}-{label.replace(' ', '_')}")
                run(args, impl, layer, budget, ("--dump", directory) + tuple(extra))
                dumps[label] = load(directory)
            for label in dumps:
                if label == "pytorch":
                    continue
                errors = compare(dumps[label], dumps["pytorch"])
                bad = {n: e for n, e in errors.items() if isinstance(e, str) or e > args.tolerance}
                numeric = [e for e in errors.values() if not isinstance(e, str)]
                top = max(errors, key=lambda n: float("inf") if isinstance(errors[n], str) else errors[n])
                where = f"{layer} {budget[0]} core(s) {top}"
                if label in IMPLS and numeric and max(numeric) >= worst[label][0]:
                    worst[label] = (max(numeric), where)
                if bad:
                    text = ", ".join(f"{n} {e if isinstance(e, str) else f'{e:.2e}'}" for n, e in bad.items())
                    if label in IMPLS:
                        problems.append(f"{NAMES[label]} disagrees with PyTorch on {layer}, {budget[0]} core(s): {text}")
                    else:
                        lines.append(f"{label}, {layer}, {budget[0]} core(s): caught as expected: {text}")
                elif label not in IMPLS:
                    lines.append(f"{label}, {layer}, {budget[0]} core(s): agrees (bug not shown)")
                print(f"check {layer} {budget[0]} core(s) {label}: max rel. error {max(numeric, default=0):.2e} "
                      f"({top}){'' if not bad else ' DISAGREES'}", file=sys.stderr)
    summary = [f"{NAMES[impl]} vs PyTorch: max relative error {worst[impl][0]:.2e} over all layers and tensors "
               f"(at {worst[impl][1]})" for impl in IMPLS if impl in worst]
    return problems, summary + lines


def fmt_ms(values):
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main():
    args = parse_args()
    layers = args.layers.split(",")
    for layer in layers:
        if layer not in LAYERS:
            sys.exit(f"unknown layer {layer}; known: {', '.join(LAYERS)}")
    budgets = [b for b in BUDGETS if b[0] in args.cores.split(",")]

    with tempfile.TemporaryDirectory(prefix="tapegrad-layers-") as tmp:
        problems, lines = check(args, layers, budgets, tmp)
    print(f"Correctness (output and every gradient after the second step, vs PyTorch, tolerance "
          f"{args.tolerance:g} on max|a-b|/max|b| per tensor):")
    print("\n".join(f"- {line}" for line in lines) + "\n")
    if problems:
        print("**Refusing to time: the implementations disagree.**\n" + "\n".join(f"- {p}" for p in problems))
        return 1
    if args.check_only:
        return 0

    times = defaultdict(list)  # (layer, cores, impl) -> step times in ms, all rounds
    raw = open(args.raw, "a") if args.raw else None
    turn = 0
    for round_index in range(args.rounds):
        for layer in layers:
            for budget in budgets:
                order = IMPLS[turn % len(IMPLS):] + IMPLS[:turn % len(IMPLS)]
                turn += 1
                for impl in order:
                    out = run(args, impl, layer, budget)
                    result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
                    if raw:
                        raw.write(json.dumps(dict(result, round=round_index, cores=budget[0])) + "\n")
                    times[(layer, budget[0], impl)] += result["times_ms"]
                    print(f"round {round_index + 1} {layer} {budget[0]} core(s) {impl}: median "
                          f"{result['median_ms']:.2f} ms", file=sys.stderr)

    print(f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {platform.node()}; {args.rounds} round(s) x "
          f"{args.steps} timed steps after {args.warmup} warm-up steps per run, implementations interleaved. "
          "One step = forward + backward of the recurrent stack alone (bench/layers/README.md).\n")
    head = (["layer", "threads"] + [f"{NAMES[i]} ms median (min-max)" for i in IMPLS]
            + [f"{NAMES[i]} GFLOP/s" for i in IMPLS] + ["tapegrad / oneDNN time"])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for layer in layers:
        for budget in budgets:
            cores = budget[0]
            medians = {i: statistics.median(times[(layer, cores, i)]) for i in IMPLS if times[(layer, cores, i)]}
            row = [describe(layer), cores] + [fmt_ms(times[(layer, cores, i)]) for i in IMPLS]
            row += [f"{step_gflop(layer) / (medians[i] / 1e3):.1f}" if i in medians else "n/a" for i in IMPLS]
            row.append(f"{medians['tapegrad'] / medians['onednn']:.2f}"
                       if "tapegrad" in medians and "onednn" in medians else "n/a")
            print("| " + " | ".join(row) + " |")
    print("\nGFLOP per step (analytical, 2mnk per product, forward x3, bench/specs.py's _rnn_flop): "
          + ", ".join(f"{layer} {step_gflop(layer):.2f}" for layer in layers) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
