"""Scaling model of data-parallel training across hosts, calibrated by bench/distributed/run.sh.

    /usr/bin/python3 bench/distributed/scaling.py build-bench/data-parallel-raw.jsonl.run [--workload W3]

Reads the JSON lines of one run.sh run and prints, for each link speed and host count, the ring
all-reduce time of the workload's gradients in the alpha-beta model and the step's efficiency:

    T(p) = 2 (p - 1) k alpha + 2 (p - 1) / p * n / B      (k buckets, each one ring all-reduce)
    E(p) = t / (t + (1 - h) T(p))

with n the gradient bytes (float32), B the link bandwidth, alpha the per-message latency, t the
compute time of one step of a host (one rank x 2 threads at the workload's batch: the batch per
host stays fixed as hosts are added), and h the share of the all-reduce the overlap with backward
hid on this machine (run.sh's "hidden by overlap"). E0 is the same without overlap (h = 0).
"""
import argparse
import json
import statistics

LINKS_GBIT = (10, 25, 100)
HOSTS = (2, 4, 8, 16, 32, 64)


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("raw", help="the JSON lines of one bench/distributed/run.sh run")
    parser.add_argument("--workload", default="W3")
    parser.add_argument("--alpha-us", type=float, default=30.0,
                        help="per-message latency in microseconds (Open MPI over TCP: 20-50; assumed)")
    parser.add_argument("--target", type=float, default=0.8, help="the efficiency to stay above")
    args = parser.parse_args()

    runs = [json.loads(line) for line in open(args.raw) if line.startswith("{")]
    runs = [r for r in runs if r["workload"] == args.workload]
    single = [r for r in runs if r["ranks"] == 1]
    overlap = [r for r in runs if r["ranks"] == 2 and r["overlap"]]
    after = [r for r in runs if r["ranks"] == 2 and not r["overlap"]]
    if not (single and overlap and after):
        raise SystemExit(f"{args.raw}: needs the 1x2T, 2x1T and 2x1T-after runs of {args.workload}")

    n_bytes = 4 * runs[0]["parameters"]
    buckets = max(r["buckets"] for r in after)
    t = median(single, "step_ms") / 1e3
    wait_after, wait_overlap = median(after, "wait_ms") / 1e3, median(overlap, "wait_ms") / 1e3
    measured_hidden = 1 - wait_overlap / wait_after if wait_after > 0 else 0.0
    hidden = min(max(measured_hidden, 0.0), 1.0)  # an overlap that cost time counts as hiding nothing
    alpha = args.alpha_us * 1e-6

    def allreduce(p, bandwidth):
        return 2 * (p - 1) * buckets * alpha + 2 * (p - 1) / p * n_bytes / bandwidth

    def efficiency(p, bandwidth, h):
        return t / (t + (1 - h) * allreduce(p, bandwidth))

    print(f"{args.workload}: {n_bytes / 4 / 1e6:.1f}M float32 parameters = {n_bytes / 1e6:.1f} MB in {buckets} buckets; "
          f"one host's step t = {t * 1e3:.1f} ms; on this host the 2-rank all-reduce took {wait_after * 1e3:.1f} ms "
          f"(shared memory, {n_bytes / wait_after / 1e9:.1f} GB/s effective) and the overlap hid {measured_hidden:.0%} of it "
          f"(h = {hidden:.2f} below); "
          f"alpha = {args.alpha_us:g} us (assumed).\n")
    print("| link | hosts p | T(p) ms | E0 (no overlap) | E (overlap) |")
    print("|---|---:|---:|---:|---:|")
    for gbit in LINKS_GBIT:
        bandwidth = gbit * 1e9 / 8
        for p in HOSTS:
            print(f"| {gbit} Gbit/s | {p} | {allreduce(p, bandwidth) * 1e3:.1f} | {efficiency(p, bandwidth, 0):.0%} "
                  f"| {efficiency(p, bandwidth, hidden):.0%} |")
    print(f"\nLargest host count with efficiency >= {args.target:.0%} (E falls as p grows):")
    for gbit in LINKS_GBIT:
        bandwidth = gbit * 1e9 / 8
        def largest(h):
            p = 1
            while p < 1_000_000 and efficiency(p + 1, bandwidth, h) >= args.target:
                p += 1
            return "none" if p == 1 else f"{p:,}" if p < 1_000_000 else "beyond 1,000,000"
        print(f"- {gbit} Gbit/s: {largest(0)} without overlap, {largest(hidden)} with it")


if __name__ == "__main__":
    main()
