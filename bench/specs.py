"""Sizes of W1-W7 (docs: bench/WORKLOADS.md) and their analytical GFLOP per step.

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
# ELMo's biLM, AllenNLP's elmo_2x1024_128_2048cnn_1xhighway options, with a 10,000-word softmax shared by
# both directions (the published model's softmax has 793,471 words); every token valid (no padding).
W7 = dict(char_embed=16, filters=[[1, 32], [2, 32], [3, 64], [4, 128], [5, 256], [6, 512], [7, 1024]],
          n_highway=1, projection=128, cell=1024, layers=2, cell_clip=3.0, proj_clip=3.0, max_chars=50,
          n_characters=262, vocab=10000, batch=32, seq=20)

DESCRIPTIONS = {
    "W1": "char-LSTM", "W2": "char-GRU", "W3": "word-LSTM", "W4": "BiLSTM tagger",
    "W5": "seq2seq + attention", "W6": "per-op overhead", "W7": "ELMo biLM",
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
    if workload == "W7":
        s = W7
        tokens = s["batch"] * s["seq"]
        filters = sum(count for _, count in s["filters"])
        forward = sum(2 * tokens * (s["max_chars"] - width + 1) * count * s["char_embed"] * width
                      for width, count in s["filters"])  # character convolutions
        forward += s["n_highway"] * 2 * tokens * filters * 2 * filters + 2 * tokens * filters * s["projection"]
        # Each LSTM: input and state products to the 4 gates, the cell's projection; 2 directions.
        per_layer = 2 * tokens * 4 * s["cell"] * s["projection"] * 2 + 2 * tokens * s["cell"] * s["projection"]
        forward += 2 * s["layers"] * per_layer
        forward += 2 * 2 * s["batch"] * (s["seq"] - 1) * s["vocab"] * s["projection"]  # softmax, both directions
        return 3 * forward / 1e9
    return None  # W6 is elementwise only
