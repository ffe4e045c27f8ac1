"""Sizes of W1-W6 (docs: bench/WORKLOADS.md) and their analytical GFLOP per step.

Shared by bench/pytorch/workloads.py and bench/runner.py; bench/common/harness.hpp holds the same
sizes for the C++ programs (the runner's first-step loss check catches any disagreement).
"""

# lstm, vocab_in, embed, hidden, layers, bidirectional, vocab_out, batch, seq
TAGGERS = {
    "W1": (True, 65, 64, 256, 2, False, 65, 32, 64),
    "W2": (False, 65, 64, 256, 2, False, 65, 32, 64),
    "W3": (True, 10000, 512, 512, 2, False, 10000, 32, 35),
    "W4": (True, 1000, 128, 256, 2, True, 1000, 32, 64),
}
W5 = dict(vocab_src=1000, vocab_tgt=1000, embed=256, hidden=256, layers=2, batch=64, src_len=10, tgt_len=10,
          min_valid=5, max_valid=10, bos=1)
W6 = dict(ops=2000, width=16)

DESCRIPTIONS = {
    "W1": "char-LSTM", "W2": "char-GRU", "W3": "word-LSTM", "W4": "BiLSTM tagger",
    "W5": "seq2seq + attention", "W6": "per-op overhead",
}


def _rnn_flop(gates, input_size, hidden, layers, directions, rows):
    """Forward FLOP of a stacked RNN over `rows` = seq * batch positions: 2*m*n*k per product."""
    flop = 0
    for layer in range(layers):
        width = input_size if layer == 0 else hidden * directions
        flop += directions * (2 * rows * gates * hidden * width + 2 * rows * gates * hidden * hidden)
    return flop


def step_gflop(workload):
    """Matrix-product GFLOP of one training step: forward products x3 (forward + backward)."""
    if workload in TAGGERS:
        lstm, _, embed, hidden, layers, bidir, vocab_out, batch, seq = TAGGERS[workload]
        directions = 2 if bidir else 1
        rows = seq * batch
        forward = _rnn_flop(4 if lstm else 3, embed, hidden, layers, directions, rows)
        forward += 2 * rows * vocab_out * hidden * directions
        return 3 * forward / 1e9
    if workload == "W5":
        s = W5
        b, h, e, src, tgt = s["batch"], s["hidden"], s["embed"], s["src_len"], s["tgt_len"]
        forward = _rnn_flop(3, e, h, s["layers"], 1, src * b)
        forward += 2 * src * b * h * h  # keys projected once per batch, not at every decoder step
        per_step = 2 * b * h * h + 2 * (2 * b * src * h)  # query projection; scores and context
        per_step += _rnn_flop(3, h + e, h, 1, 1, b) + _rnn_flop(3, h, h, s["layers"] - 1, 1, b)
        forward += tgt * per_step + 2 * tgt * b * s["vocab_tgt"] * h
        return 3 * forward / 1e9
    return None  # W6 is elementwise only
