"""The layer-level benchmark's shapes, deterministic values and FLOP count (bench/layers/README.md).

Mirrors bench/layers/layers.hpp (the C++ programs): same layer names and shapes, same input and
output-gradient streams, same parameter values (bench/common/harness.hpp's init_values).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from specs import _rnn_flop  # noqa: E402  (the one RNN FLOP formula, shared with W1-W5)
from values import unit  # noqa: E402

# name: (lstm, T, N, I, H, layers, bidirectional) -- the recurrent stacks of W1, W3 and W4, and
# GRUs of the same shapes (PyTorch's GRU = oneDNN's lbr_gru = tapegrad's GRU with reset_after).
LAYERS = {
    "W1-LSTM": (True, 64, 32, 64, 256, 2, False),
    "W3-LSTM": (True, 35, 32, 512, 512, 2, False),
    "W4-BiLSTM": (True, 64, 32, 128, 256, 2, True),
    "W1-GRU": (False, 64, 32, 64, 256, 2, False),
    "W3-GRU": (False, 35, 32, 512, 512, 2, False),
    "W4-BiGRU": (False, 64, 32, 128, 256, 2, True),
}


def describe(name):
    lstm, T, N, I, H, layers, bidir = LAYERS[name]
    return f"{name} (T{T} N{N} I{I} H{H}, {layers} layers{', bidirectional' if bidir else ''})"


def step_gflop(name):
    """Matrix-product GFLOP of one forward + backward: the forward's products x3 (bench/specs.py)."""
    lstm, T, N, I, H, layers, bidir = LAYERS[name]
    return 3 * _rnn_flop(4 if lstm else 3, I, H, layers, 2 if bidir else 1, T * N) / 1e9


# ---- deterministic values: bench/values.py, and bench/layers/layers.hpp's uniform_values ----------
def uniform_values(name, shape):
    """bench::layers::uniform_values: uniform in [-1, 1), float32."""
    return (2 * unit(name, int(np.prod(shape))) - 1).astype(np.float32).reshape(shape)


def input_values(name):
    _, T, N, I, _, _, _ = LAYERS[name]
    return uniform_values(name + ".input", (T, N, I))


def output_grad_values(name):
    _, T, N, _, H, _, bidir = LAYERS[name]
    return uniform_values(name + ".dy", (T, N, (2 if bidir else 1) * H))
