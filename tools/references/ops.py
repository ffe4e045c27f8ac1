"""PyTorch 1.13 reference values for tests/autograd/*_test.cpp (the op library).

Each file holds float64 inputs, the op's output and the gradient of sum(output * w) for a fixed
random weight w (stored as "w"), so the C++ test can replay forward and backward and compare.
Integer arrays (targets, ids) are stored as int64.
"""
import os
import sys

import numpy as np
import torch


def leaf(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def forward_backward(out_path, f, inputs, extra=None):
    """Saves inputs x0, x1, ..., y = f(*inputs), w, and dx_i = d sum(y * w) / d x_i."""
    xs = [leaf(a) for a in inputs]
    y = f(*xs)
    w = torch.tensor(np.random.default_rng(7).standard_normal(y.shape), dtype=torch.float64)
    (y * w).sum().backward()
    arrays = {"y": y.detach().numpy(), "w": w.numpy()}
    for i, x in enumerate(xs):
        arrays[f"x{i}"] = x.detach().numpy()
        arrays[f"dx{i}"] = x.grad.numpy() if x.grad is not None else np.zeros_like(x.detach().numpy())
    arrays.update(extra or {})
    np.savez(out_path, **arrays)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(0)
    p = lambda name: os.path.join(out_dir, name + ".npz")
    x345 = rng.standard_normal((3, 4, 5)) * 2

    forward_backward(p("softmax_axis1"), lambda x: torch.softmax(x, 1), [x345])
    forward_backward(p("log_softmax_last"), lambda x: torch.log_softmax(x, -1), [x345])
    forward_backward(p("logsumexp_axis0"), lambda x: torch.logsumexp(x, 0), [x345])
    big = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 3.0]])
    forward_backward(p("log_softmax_big"), lambda x: torch.log_softmax(x, -1), [big])

    # cross_entropy over (2, 3, 5) logits, targets with ignore_index -100 and a custom one.
    logits = rng.standard_normal((2, 3, 5))
    targets = np.array([[1, 4, -100], [0, -100, 2]], dtype=np.int64)
    t = torch.tensor(targets)
    for reduction in ["mean", "sum", "none"]:
        forward_backward(p(f"cross_entropy_{reduction}"),
                         lambda x: torch.nn.functional.cross_entropy(x.permute(0, 2, 1), t, reduction=reduction),
                         [logits], {"targets": targets})
    ignored = np.full((2, 3), 3, dtype=np.int64)
    forward_backward(p("cross_entropy_all_ignored"),
                     lambda x: torch.nn.functional.cross_entropy(x.reshape(6, 5), torch.tensor(ignored).reshape(6),
                                                                 ignore_index=3),
                     [logits], {"targets": ignored})

    # embedding with repeated ids and a padding row; index_select with repeats along axis 1.
    weight = rng.standard_normal((6, 4))
    ids = np.array([[1, 0, 1], [5, 0, 2]], dtype=np.int64)
    forward_backward(p("embedding_padding"),
                     lambda w: torch.nn.functional.embedding(torch.tensor(ids), w, padding_idx=0), [weight],
                     {"ids": ids})
    index = np.array([3, 0, 3, 3], dtype=np.int64)
    forward_backward(p("index_select_axis1"), lambda x: torch.index_select(x, 1, torch.tensor(index)), [x345],
                     {"index": index})

    # max: along an axis (first maximal element) and over everything with a tie (shared gradient).
    ties = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])
    forward_backward(p("max_axis1"), lambda x: torch.max(x, 1).values, [ties])
    forward_backward(p("max_all"), lambda x: torch.max(x), [ties])

    # Matrix products: batched matmul, (b, n, k) x (k, m), linear on 3-D input with bias.
    forward_backward(p("matmul_batched"), torch.matmul, [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))])
    forward_backward(p("matmul_3d_2d"), torch.matmul, [rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))])
    forward_backward(p("linear_3d"), torch.nn.functional.linear,
                     [rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)])

    # Selection with broadcasting: where(cond (3, 1), a (3, 4), b (4)) and masked_fill with a (4) mask.
    cond = np.array([[True], [False], [True]])
    forward_backward(p("where_broadcast"), lambda a, b: torch.where(torch.tensor(cond), a, b),
                     [rng.standard_normal((3, 4)), rng.standard_normal(4)], {"cond": cond.astype(np.int64)})
    fill = np.array([True, False, False, True])
    forward_backward(p("masked_fill"), lambda x: x.masked_fill(torch.tensor(fill), -2.5),
                     [rng.standard_normal((3, 4))], {"mask": fill.astype(np.int64)})

    # Elementwise functions and broadcasting arithmetic on one input set.
    forward_backward(p("elementwise_chain"),
                     lambda a, b: torch.sigmoid(a) * torch.tanh(b) + torch.exp(a) / (1 + b * b) - torch.relu(a)
                     + torch.sqrt(torch.abs(a) + 1) + torch.log(1 + b * b) + a.clamp(-0.5, 0.7) ** 3,
                     [rng.standard_normal((3, 1, 4)), rng.standard_normal((2, 1))])
    # Reductions: sum and mean over several axes, keepdim.
    forward_backward(p("sum_mean"), lambda x: x.sum((0, 2), keepdim=True) * x.mean(-1, keepdim=True),
                     [x345])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/data/ops"))
