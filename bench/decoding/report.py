#!/usr/bin/python3
"""The decoding benchmark's checks and table (called by bench/decoding/run.sh).

    report.py compare DUMP...     # the token dumps of the implementations: exit 1 unless all agree
    report.py table CHECK.jsonl RUNS.jsonl   # the JSON lines of the check runs and of the timed runs ->
                                  # one Markdown table of the timed ones; exit 1 if a run's tokens differ
                                  # between its passes (a difference from its implementation's check run
                                  # is noted)
"""
import json
import statistics
import sys
from collections import defaultdict

NAMES = {"tapegrad": "tapegrad", "pytorch": "PyTorch", "libtorch": "LibTorch"}
DECODERS = ("greedy", "beam")


def read_dump(path):
    """{(decoder, sentence): (score, tokens)}"""
    out = {}
    with open(path) as f:
        for line in f:
            decoder, index, score, tokens = line.rstrip("\n").split("\t")
            out[decoder, int(index)] = (float(score), tokens)
    return out


# Two outputs that differ are a near tie if their scores (each as its own implementation computed it)
# are this close, relative: float32 rounding, which differs between implementations and even between
# batch compositions of one implementation (about 1e-8 relative in a sentence's log P), decided
# between two translations that the model scores equally.
NEAR_TIE = 1e-6
MAX_NEAR_TIES = 0.01  # of the sentences: more than this many near ties is no longer chance


def compare(paths):
    """Exit 1 unless every other dump agrees with the first on every sentence's tokens, but for at most
    1% near ties (different tokens, equal scores)."""
    dumps = [read_dump(p) for p in paths]
    reference, problems = dumps[0], 0
    for path, dump in zip(paths[1:], dumps[1:]):
        if dump.keys() != reference.keys():
            print(f"{path}: other sentences than {paths[0]}")
            problems += 1
            continue
        for decoder in DECODERS:
            keys = sorted(k for k in reference if k[0] == decoder)
            differ = [k for k in keys if dump[k][1] != reference[k][1]]
            ties = [k for k in differ if abs(dump[k][0] - reference[k][0]) <= NEAR_TIE * max(1.0, abs(reference[k][0]))]
            gap = max((abs(dump[k][0] - reference[k][0]) for k in keys if dump[k][1] == reference[k][1]), default=0)
            print(f"{decoder}: {path} agrees with {paths[0]} on {len(keys) - len(differ)} of {len(keys)} sentences, "
                  f"{len(ties)} near tie(s) (largest score difference where the tokens agree: {gap:.3g})")
            for k in differ[:10]:
                kind = "near tie" if k in ties else "DIFFERENT"
                print(f"  {kind}: sentence {k[1]}: {paths[0]}: {reference[k][1]} (score {reference[k][0]!r}); "
                      f"{path}: {dump[k][1]} (score {dump[k][0]!r})")
            problems += len(differ) - len(ties)
            if len(ties) > MAX_NEAR_TIES * len(keys):
                print(f"  more than {MAX_NEAR_TIES:.0%} near ties")
                problems += 1
    return 1 if problems else 0


def table(check_path, path):
    checks = [json.loads(line) for line in open(check_path) if line.startswith("{")]
    runs = [json.loads(line) for line in open(path) if line.startswith("{")]
    if not checks or not runs:
        print(f"{check_path}, {path}: no runs")
        return 1
    problems = []
    notes = []
    check = {r["impl"]: r for r in checks}
    for r in runs:
        for d in DECODERS:
            if r["impl"] not in check:
                problems.append(f"{r['impl']}: no check run")
            elif r[f"{d}_hash"] != check[r["impl"]][f"{d}_hash"]:
                notes.append(f"{r['impl']} {r['threads']} round {r['round']}: {d} tokens differ from its check run's "
                             f"(a near tie decided otherwise on {r['cores']} core(s)?)")
            if not r[f"{d}_deterministic"]:
                problems.append(f"{r['impl']} {r['threads']} round {r['round']}: {d} tokens differ between passes")
    rates = defaultdict(list)  # (cores, impl, decoder) -> sentences/s of every pass of every round
    for r in runs:
        for d in DECODERS:
            rates[r["cores"], r["impl"], d] += r[f"{d}_sps_all"]
    impls = [i for i in NAMES if any(k[1] == i for k in rates)]
    cores = sorted({k[0] for k in rates})
    rounds = len({r.get("round") for r in runs})
    first = runs[0]
    print(f"{first['sentences']} sentences in batches of {first['batch']}, max_length {first['max_length']}, beam "
          f"{first['beam']} (alpha {first['alpha']}), eos {first['eos']}; {rounds} round(s) x {first['passes']} timed "
          f"passes per run, implementations interleaved. Sentences per second, median of all passes (min-max).")
    print(f"Outputs: greedy {first['greedy_eos_ended']} of {first['sentences']} end with <eos> (mean length "
          f"{first['greedy_mean_length']:.2f}), beam {first['beam_eos_ended']} (mean length {first['beam_mean_length']:.2f}); "
          f"token hashes " + ", ".join(f"{NAMES[i]} {c['greedy_hash']}/{c['beam_hash']}" for i, c in check.items()) +
          " (greedy/beam; bench/decoding/run.sh compared the tokens sentence by sentence before timing).\n")

    def cell(values):
        return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})" if values else "n/a"

    head = ["decoder", "cores"] + [NAMES[i] for i in impls]
    peers = [p for p in ("pytorch", "libtorch") if p in impls and "tapegrad" in impls]
    head += [f"tapegrad / {NAMES[p]}" for p in peers]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|")
    for d in DECODERS:
        for c in cores:
            row = [d if d == "greedy" else f"beam {first['beam']}", c] + [cell(rates[c, i, d]) for i in impls]
            for p in peers:
                ours, theirs = rates[c, "tapegrad", d], rates[c, p, d]
                row.append(f"{statistics.median(ours) / statistics.median(theirs):.2f}x" if ours and theirs else "n/a")
            print("| " + " | ".join(str(x) for x in row) + " |")
    if notes:
        print("\nNotes:\n" + "\n".join(f"- {n}" for n in notes))
    if problems:
        print("\n**Problems:**\n" + "\n".join(f"- {p}" for p in problems))
    return 1 if problems else 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "compare":
        return compare(sys.argv[2:])
    if len(sys.argv) == 4 and sys.argv[1] == "table":
        return table(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
