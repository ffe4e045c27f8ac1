"""NLTK references for tests/datasets/bleu_test.cpp: corpus BLEU-4 (nltk.translate.bleu_score.corpus_bleu,
uniform weights, no smoothing) of random tokenized corpora, Debian's python3-nltk.

tests/data/bleu/corpus_bleu.txt holds one case per block:
    case <BLEU as repr(float)>
    H <hypothesis tokens>          (a hypothesis; an empty one is a bare "H")
    R <reference tokens>           (one line per reference of the hypothesis above)
Small vocabularies make matches of every order common; lengths 0-12 include hypotheses shorter
than 4 tokens (NLTK counts a denominator of 1 for an order they lack) and empty ones.
"""
import os
import random
import warnings

from nltk.translate.bleu_score import corpus_bleu


def random_sentence(rng, vocab, low, high):
    return [rng.choice(vocab) for _ in range(rng.randint(low, high))]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(0)
    lines = []
    cases = []
    for i in range(60):
        vocab = [f"w{j}" for j in range(rng.randint(2, 6))]
        n = rng.randint(1, 5)
        hypotheses = [random_sentence(rng, vocab, 0 if i % 7 == 0 else 1, 12) for _ in range(n)]
        references = [[random_sentence(rng, vocab, 1, 12) for _ in range(rng.randint(1, 3))] for _ in range(n)]
        if i % 5 == 0:  # a hypothesis equal to one of its references
            hypotheses[0] = list(references[0][-1])
        cases.append((hypotheses, references))
    cases.append(([[]], [[["a", "b"]]]))                                       # empty output
    cases.append(([["a", "b", "c", "d", "e"]], [[["a", "b", "c", "d", "e"]]]))  # perfect: 1
    for hypotheses, references in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NLTK warns when an order has no match
            score = corpus_bleu(references, hypotheses)
        lines.append(f"case {float(score)!r}")
        for hypothesis, refs in zip(hypotheses, references):
            lines.append(" ".join(["H"] + hypothesis))
            lines.extend(" ".join(["R"] + ref) for ref in refs)
    with open(os.path.join(out_dir, "corpus_bleu.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
