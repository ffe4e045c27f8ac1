"""The layer-level benchmark's shapes, deterministic values and FLOP count (bench/layers/README.md).

Mirrors bench/layers/layers.hpp (the C++ programs): same layer names and shapes, same input and
output-gradient streams, same parameter values (bench/common/harness.hpp's init_values).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from specs import _rnn_flop  # noqa: E402  (the one RNN FLOP formula, shared with W1-W5)

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


# ---- deterministic values, as bench/common/harness.hpp and bench/layers/layers.hpp ------------
M64 = (1 << 64) - 1
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def seed_of(name):
    h = 0xCBF29CE484222325
    for ch in name.encode():
        h = ((h ^ ch) * 0x100000001B3) & M64
    return h


def stream(name, n):
    """Values 0..n-1 of SplitMix64 stream `name`, as uint64."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed_of(name)) + np.arange(1, n + 1, dtype=np.uint64) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def unit(name, n):
    """n doubles uniform in [0, 1) from stream `name`."""
    return (stream(name, n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def init_values(name, shape):
    """bench::init_values: uniform(-k, k), k = 1/sqrt(last dimension), float32."""
    k = 1.0 / np.sqrt(float(shape[-1]))
    return ((2 * unit(name, int(np.prod(shape))) - 1) * k).astype(np.float32).reshape(shape)


def uniform_values(name, shape):
    """bench::layers::uniform_values: uniform in [-1, 1), float32."""
    return (2 * unit(name, int(np.prod(shape))) - 1).astype(np.float32).reshape(shape)


def input_values(name):
    _, T, N, I, _, _, _ = LAYERS[name]
    return uniform_values(name + ".input", (T, N, I))


def output_grad_values(name):
    _, T, N, _, H, _, bidir = LAYERS[name]
    return uniform_values(name + ".dy", (T, N, (2 if bidir else 1) * H))
