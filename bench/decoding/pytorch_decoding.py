#!/usr/bin/python3
"""The decoding benchmark (bench/decoding/README.md) in PyTorch: greedy and beam search with the W5 model.

    OPENBLAS_NUM_THREADS is set from --threads-config before torch is imported, so run it directly:
    /usr/bin/python3 bench/decoding/pytorch_decoding.py --threads-config best2 [--sentences 1000 --passes 3]

"1T" = 1 intra-op thread + 1 OpenBLAS thread; "best2" = 1 intra-op + 2 OpenBLAS threads (as
bench/pytorch/workloads.py). The model is W5's Seq2Seq of bench/pytorch/workloads.py with its initial
parameters, plus the two methods a decoder needs (encode once, step one token); greedy decoding and
beam search follow tapegrad's nn::greedy_decode and nn::beam_search (nn/decoding.cpp) rule for rule,
so that all implementations output the same tokens. Runs under torch.inference_mode(). Prints one
JSON line, as bench/decoding/decoding_harness.hpp.
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

BLAS_THREADS = {"1T": "1", "best2": "2"}
EOS = 759  # bench::decoding::kEos


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sentences", type=int, default=1000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--max-length", type=int, default=20)
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.75)
    p.add_argument("--eos", type=int, default=EOS)
    p.add_argument("--passes", type=int, default=3, help="timed passes over all sentences, per decoder")
    p.add_argument("--dump", default="", help="write the tokens of the first timed pass here")
    p.add_argument("--threads-config", default="1T", choices=sorted(BLAS_THREADS))
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# OpenBLAS sizes its pool when the library loads, i.e. at `import torch`.
os.environ["OPENBLAS_NUM_THREADS"] = BLAS_THREADS[ARGS.threads_config]
os.environ["OMP_NUM_THREADS"] = "1"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from specs import W5  # noqa: E402
from values import init_parameters, random_ints, seed_of  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
from w5 import Seq2Seq  # noqa: E402

# ---- decoding, as nn/decoding.cpp ------------------------------------------------------------
def greedy_decode(model, src, lengths, a):
    """The first most likely token at every step until <eos> or max_length; returns (tokens, log P) per sentence."""
    values, keys, pad, state = model.encode(src, lengths)
    n = src.shape[1]
    tokens = torch.full((n,), W5["bos"], dtype=torch.int64)
    out, logp_sum, done = [[] for _ in range(n)], [0.0] * n, [False] * n
    for _ in range(a.max_length):
        if all(done):
            break
        logits, state = model.step(tokens, state, keys, values, pad)
        best, tokens = torch.log_softmax(logits, -1).max(-1)  # the first maximum
        picked, logp = tokens.tolist(), best.double().tolist()
        for b in range(n):
            if not done[b]:
                out[b].append(picked[b])
                logp_sum[b] += logp[b]
                done[b] = picked[b] == a.eos
    return list(zip(out, logp_sum))


def best_candidates(scores, b, values, indices, m):
    """The m best of scores[b] (a sentence's k * V extension scores) as (score, index), best first, ties
    to the lower index: topk's m + 1 best, re-sorted; where the m-th ties with the (m + 1)-th (the
    tie may reach beyond what topk returned), every candidate at least as good, re-sorted."""
    pairs = list(zip(values, indices))
    if len(pairs) > m and pairs[m][0] == pairs[m - 1][0] and pairs[m - 1][0] != -math.inf:
        row = scores[b]
        chosen = (row >= pairs[m - 1][0]).nonzero().squeeze(1)
        pairs = list(zip(row[chosen].tolist(), chosen.tolist()))
    pairs.sort(key=lambda p: (-p[0], p[1]))
    return pairs[:m]


def beam_search(model, src, lengths, a):
    """k hypotheses per sentence, all sentences stepped together (N * k rows). The best 2k of the k * V
    extensions in order: an <eos> one is finished, the others refill the k rows until k are filled. A
    sentence stops with k finished; at max_length its live ones compete too. Returns (tokens, score)."""
    k, vocab, bos, eos = a.beam, W5["vocab_tgt"], W5["bos"], a.eos
    values, keys, pad, state = model.encode(src, lengths)
    n = src.shape[1]
    rows = torch.arange(n).repeat_interleave(k)
    values, keys, pad = values.index_select(0, rows), keys.index_select(0, rows), pad.index_select(0, rows)
    state = [h.index_select(0, rows) for h in state]
    live_logp = [0.0 if r % k == 0 else -math.inf for r in range(n * k)]  # one start per sentence
    live_tokens = [[] for _ in range(n * k)]
    finished, done = [[] for _ in range(n)], [False] * n
    tokens = torch.full((n * k,), bos, dtype=torch.int64)
    m = min(2 * k, k * vocab)
    for _ in range(a.max_length):
        if all(done):
            break
        logits, state = model.step(tokens, state, keys, values, pad)
        scores = (torch.tensor(live_logp, dtype=torch.float64).unsqueeze(1)
                  + torch.log_softmax(logits, -1).double()).view(n, k * vocab)
        top_values, top_indices = scores.topk(min(m + 1, k * vocab), dim=1)
        top_values, top_indices = top_values.tolist(), top_indices.tolist()
        next_logp, next_tokens = [-math.inf] * (n * k), [[] for _ in range(n * k)]
        picked = [r - r % k for r in range(n * k)]  # the row each new hypothesis extends
        for b in range(n):
            if done[b]:
                continue
            first, filled = b * k, 0
            for total, c in best_candidates(scores, b, top_values[b], top_indices[b], m):
                if filled >= k or total == -math.inf:
                    break
                parent = first + c // vocab
                hypothesis = live_tokens[parent] + [c % vocab]
                if c % vocab == eos:
                    finished[b].append((hypothesis, total / len(hypothesis) ** a.alpha))
                    continue
                picked[first + filled] = parent
                next_logp[first + filled], next_tokens[first + filled] = total, hypothesis
                filled += 1
            done[b] = len(finished[b]) >= k
        live_logp, live_tokens = next_logp, next_tokens
        tokens = torch.tensor([h[-1] if h else bos for h in live_tokens], dtype=torch.int64)
        picked = torch.tensor(picked, dtype=torch.int64)
        state = [h.index_select(0, picked) for h in state]
    best = []
    for b in range(n):
        if not done[b]:  # max_length reached: the live hypotheses compete too
            for r in range(b * k, (b + 1) * k):
                if live_logp[r] != -math.inf:
                    finished[b].append((live_tokens[r], live_logp[r] / len(live_tokens[r]) ** a.alpha))
        best.append(max(finished[b], key=lambda f: f[1]) if finished[b] else ([], 0.0))  # the first best
    return best


# ---- timing and report, as bench/decoding/decoding_harness.hpp ----------------------------------
def batches(a):
    steps = W5["src_len"]
    tokens = random_ints("D.source", a.sentences * steps, W5["vocab_src"]).reshape(a.sentences, steps)
    lengths = random_ints("D.source_lengths", a.sentences, W5["max_valid"] - W5["min_valid"] + 1) + W5["min_valid"]
    return [(torch.from_numpy(np.ascontiguousarray(tokens[first:first + a.batch].T)),
             torch.from_numpy(lengths[first:first + a.batch].copy()))
            for first in range(0, a.sentences, a.batch)]


def tokens_hash(outputs):
    text = "".join(" ".join(map(str, tokens)) + "\n" for tokens, _ in outputs)
    return f"{seed_of(text):016x}"


def time_decoder(model, decode, data, a):
    decode(model, *data[0], a)  # warm-up: one batch
    rates, first, same = [], None, True
    for _ in range(a.passes):
        start = time.perf_counter()
        out = []
        for src, lengths in data:
            out += decode(model, src, lengths, a)
        rates.append(a.sentences / (time.perf_counter() - start))
        if first is None:
            first = out
        elif tokens_hash(out) != tokens_hash(first):
            same = False
    return rates, first, same


def summary(name, rates, outputs, same, eos):
    return {f"{name}_sps": statistics.median(rates), f"{name}_sps_all": rates,
            f"{name}_hash": tokens_hash(outputs),
            f"{name}_eos_ended": sum(1 for tokens, _ in outputs if tokens and tokens[-1] == eos),
            f"{name}_mean_length": sum(len(tokens) for tokens, _ in outputs) / max(len(outputs), 1),
            f"{name}_deterministic": same}


def main():
    a = ARGS
    torch.set_num_threads(1)
    model = Seq2Seq(W5)
    init_parameters(model)
    model.eval()
    data = batches(a)
    result = {"impl": "pytorch", "threads": a.threads_config, "sentences": a.sentences, "batch": a.batch,
              "max_length": a.max_length, "beam": a.beam, "alpha": a.alpha, "eos": a.eos, "passes": a.passes}
    dump = []
    with torch.inference_mode():
        for name, decode in (("greedy", greedy_decode), ("beam", beam_search)):
            rates, outputs, same = time_decoder(model, decode, data, a)
            result.update(summary(name, rates, outputs, same, a.eos))
            dump += [f"{name}\t{i}\t{score!r}\t{' '.join(map(str, tokens))}\n" for i, (tokens, score) in enumerate(outputs)]
    if a.dump:
        with open(a.dump, "w") as f:
            f.writelines(dump)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
