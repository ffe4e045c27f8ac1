#!/usr/bin/python3
"""The layer-level benchmark's PyTorch side: one forward + backward of nn.LSTM / nn.GRU alone.

    /usr/bin/python3 bench/layers/pytorch_layers.py --layer W1-LSTM --threads-config best2 --steps 10 --warmup 3
    /usr/bin/python3 bench/layers/pytorch_layers.py --layer W4-BiGRU --threads-config 1T --dump DIR

"1T" = 1 intra-op thread + 1 OpenBLAS thread; "best2" = 1 intra-op + 2 OpenBLAS threads, PyTorch's
fastest 2-core setting here (as bench/pytorch/workloads.py). OPENBLAS_NUM_THREADS is set before torch
is imported. Prints one JSON line as bench/common/harness.hpp's run_and_report; with --dump, runs two
steps and writes the second one's output and gradients as raw float32 files instead.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

BLAS_THREADS = {"1T": "1", "best2": "2"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layer", default="W1-LSTM")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads-config", default="1T", choices=sorted(BLAS_THREADS))
    p.add_argument("--dump", help="a directory: write the second step's output and gradients there")
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# OpenBLAS sizes its pool when the library loads, i.e. at `import torch`.
os.environ["OPENBLAS_NUM_THREADS"] = BLAS_THREADS[ARGS.threads_config]
os.environ["OMP_NUM_THREADS"] = "1"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from layers import LAYERS, input_values, output_grad_values  # noqa: E402  (puts bench/ on the path)
from values import init_parameters  # noqa: E402


def main():
    torch.set_num_threads(1)
    lstm, T, N, I, H, layers, bidir = LAYERS[ARGS.layer]
    rnn = (nn.LSTM if lstm else nn.GRU)(I, H, layers, bidirectional=bidir)
    init_parameters(rnn)
    x = torch.from_numpy(input_values(ARGS.layer)).requires_grad_()
    dy = torch.from_numpy(output_grad_values(ARGS.layer))
    params = list(rnn.parameters())

    def step():
        for p in params:
            p.grad = None
        x.grad = None
        output, _ = rnn(x)  # zero initial state
        output.backward(dy)
        return output

    if ARGS.dump:
        step()
        output = step()
        os.makedirs(ARGS.dump, exist_ok=True)
        tensors = {"output": output, "input.grad": x.grad}
        tensors.update({f"{name}.grad": p.grad for name, p in rnn.named_parameters()})
        for name, t in tensors.items():
            t.detach().numpy().astype(np.float32).tofile(os.path.join(ARGS.dump, name + ".f32"))
        return

    times = []
    for i in range(ARGS.warmup + ARGS.steps):
        start = time.perf_counter()
        step()
        ms = (time.perf_counter() - start) * 1e3
        if i >= ARGS.warmup:
            times.append(ms)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"impl": "pytorch", "workload": ARGS.layer, "threads": ARGS.threads_config,
                      "steps": ARGS.steps, "warmup": ARGS.warmup, "median_ms": statistics.median(times),
                      "min_ms": min(times), "max_ms": max(times), "loss_first": 0.0, "loss_last": 0.0,
                      "peak_rss_mb": rss, "times_ms": times}), flush=True)


if __name__ == "__main__":
    main()
