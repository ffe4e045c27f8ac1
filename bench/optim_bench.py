"""torch.optim update throughput, the peer of bench/optim_bench.cpp, and the report of a run.

    /usr/bin/python3 bench/optim_bench.py --kernel adam --size 10000000 --threads 2 --foreach 1
    /usr/bin/python3 bench/optim_bench.py --report results.jsonl      # markdown table
"""
import argparse
import json
import statistics
import sys
import time

BYTES = {"sgd_momentum": 20, "adam": 28, "copy": 8, "triad": 12}


def measure(args):
    import torch

    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(1)
    p = torch.randn(args.size, generator=gen).requires_grad_()
    p.grad = torch.randn(args.size, generator=gen)
    foreach = bool(args.foreach)
    if args.kernel == "adam":
        opt = torch.optim.Adam([p], lr=1e-3, foreach=foreach)
    else:
        opt = torch.optim.SGD([p], lr=1e-3, momentum=0.9, foreach=foreach)
    times = []
    with torch.no_grad():
        for i in range(args.warmup + args.steps):
            start = time.perf_counter()
            opt.step()
            if i >= args.warmup:
                times.append((time.perf_counter() - start) * 1e3)
    ms = statistics.median(times)
    print(json.dumps({"impl": "torch-foreach" if foreach else "torch", "kernel": args.kernel, "size": args.size,
                      "threads": args.threads, "steps": args.steps, "median_ms": round(ms, 4),
                      "params_per_s": args.size / (ms / 1e3), "gb_per_s": args.size * BYTES[args.kernel] / (ms / 1e3) / 1e9}))


def report(path):
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    # Median over the interleaved rounds of each (impl, kernel, size, threads).
    groups = {}
    for r in rows:
        groups.setdefault((r["impl"], r["kernel"], r["size"], r["threads"]), []).append(r["median_ms"])
    ms = {k: statistics.median(v) for k, v in groups.items()}

    def gbps(kernel, size, t):
        return size * BYTES[kernel] / (ms[k] / 1e3) / 1e9 if (k := ("tapegrad", kernel, size, t)) in ms else float("nan")

    print("| threads | params | optimizer | tapegrad ms | tapegrad Mparams/s | tapegrad GB/s | torch best ms (variant) "
          "| torch Mparams/s | tapegrad speed-up | STREAM triad GB/s | tapegrad / triad |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (impl, kernel, size, t) in sorted(k for k in ms if k[0] == "tapegrad" and k[1] in ("sgd_momentum", "adam")):
        ours = ms[(impl, kernel, size, t)]
        torch_variants = [(ms[k], k[0]) for k in ms if k[0].startswith("torch") and k[1:] == (kernel, size, t)]
        best, variant = min(torch_variants) if torch_variants else (float("nan"), "-")
        triad = gbps("triad", size, t)
        ours_gbps = size * BYTES[kernel] / (ours / 1e3) / 1e9
        print(f"| {t} | {size / 1e6:g}M | {kernel} | {ours:.2f} | {size / ours / 1e3:.0f} | {ours_gbps:.1f} | "
              f"{best:.2f} ({variant}) | {size / best / 1e3:.0f} | {best / ours:.2f}x | {triad:.1f} | {ours_gbps / triad:.0%} |")
    print()
    print("| threads | params | STREAM copy GB/s | STREAM triad GB/s |")
    print("|---|---|---|---|")
    for (impl, kernel, size, t) in sorted(k for k in ms if k[0] == "tapegrad" and k[1] == "copy"):
        print(f"| {t} | {size / 1e6:g}M | {gbps('copy', size, t):.1f} | {gbps('triad', size, t):.1f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", default="adam", choices=["sgd_momentum", "adam"])
    parser.add_argument("--size", type=int, default=1000000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--foreach", type=int, default=0)
    parser.add_argument("--report")
    args = parser.parse_args()
    if args.report:
        report(args.report)
    else:
        measure(args)


if __name__ == "__main__":
    sys.exit(main())
