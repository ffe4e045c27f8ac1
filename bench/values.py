"""Deterministic values, as bench/common/harness.hpp computes them for the C++ programs: the
SplitMix64 stream named `name` (value i is mix(fnv1a(name) + (i + 1) * golden)), integers and floats
drawn from it, and parameters initialised from the stream of each parameter's name. Shared by every
Python program in bench/, so that all implementations start from the same numbers.
"""
import numpy as np

M64 = (1 << 64) - 1
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def seed_of(data):
    """FNV-1a of a str (its UTF-8 bytes) or of bytes."""
    h = 0xCBF29CE484222325
    for ch in data.encode() if isinstance(data, str) else data:
        h = ((h ^ ch) * 0x100000001B3) & M64
    return h


def stream(name, n):
    """Values 0..n-1 of SplitMix64 stream `name`, as uint64."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed_of(name)) + np.arange(1, n + 1, dtype=np.uint64) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def random_ints(name, n, bound):
    """bench::random_ints: n integers in [0, bound), int64."""
    return (stream(name, n) % np.uint64(bound)).astype(np.int64)


def unit(name, n):
    """n doubles uniform in [0, 1)."""
    return (stream(name, n) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def init_values(name, shape):
    """bench::init_values: uniform(-k, k), k = 1/sqrt(last dimension), float32."""
    k = 1.0 / np.sqrt(float(shape[-1]))
    return ((2 * unit(name, int(np.prod(shape))) - 1) * k).astype(np.float32).reshape(shape)


def init_parameters(model):
    """Every parameter of a torch module from the stream of its name (init_values)."""
    import torch  # here: the caller sets OpenBLAS's threads before torch is first imported

    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(init_values(name, tuple(p.shape))))
