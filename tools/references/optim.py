"""Reference values for tests/optim: torch.optim updates, lr schedules and gradient clipping.

Run with the Debian PyTorch 1.13:  /usr/bin/python3 tools/references/optim.py tests/data/optim
"""
import math
import os
import sys

import numpy as np
import torch

STEPS = 5
# Parameters "w" [3, 4] and "b" [4] in two groups; "b" gets no gradient at step 2, so optimizers
# must skip it (and Adam's per-parameter step count falls behind).
SHAPES = {"w": (3, 4), "b": (4,)}
SKIP = {("b", 2)}

# name -> (optimizer class, defaults for group 0 (w), overrides for group 1 (b)). Must match
# tests/optim/*_test.cpp.
OPTIMIZERS = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1), dict(lr=0.05)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.1, momentum=0.9), dict(lr=0.05)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), dict(lr=0.05)),
    "sgd_dampening": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1),
                      dict(weight_decay=0.0)),
    "adam": (torch.optim.Adam, dict(lr=1e-2), dict(lr=5e-3)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True),
                     dict(lr=5e-3)),
    "adamw": (torch.optim.AdamW, dict(lr=1e-2), dict(weight_decay=0.1)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.05, amsgrad=True), dict(lr=2e-2)),
}


def optimizer_reference(cls, defaults, overrides, gen):
    params = {k: torch.randn(*s, dtype=torch.float64, generator=gen) for k, s in SHAPES.items()}
    out = {f"p0.{k}": v.numpy().copy() for k, v in params.items()}
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    opt = cls([{"params": [leaves["w"]]}, dict(params=[leaves["b"]], **overrides)], **defaults)
    for step in range(STEPS):
        for k, p in leaves.items():
            if (k, step) in SKIP:
                p.grad = None
                continue
            g = torch.randn(*SHAPES[k], dtype=torch.float64, generator=gen)
            p.grad = g.clone()
            out[f"grad.{step}.{k}"] = g.numpy()
        opt.step()
        for k, p in leaves.items():
            out[f"p.{step}.{k}"] = p.detach().numpy().copy()
    return out


def lr_sequence(make, epochs=25, base_lr=0.1):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(lrs)


def plateau_sequence():
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    metrics = [5, 4, 4.5, 4.2, 4.1, 3, 3.5, 3.4, 3.3, 3.2, 3.6, 2, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 3]
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(metrics, dtype=np.float64), np.array(lrs)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    for name, (cls, defaults, overrides) in OPTIMIZERS.items():
        np.savez(os.path.join(out_dir, f"{name}.npz"), **optimizer_reference(cls, defaults, overrides, gen))

    S = torch.optim.lr_scheduler
    schedules = {
        "step": lr_sequence(lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
        "exponential": lr_sequence(lambda o: S.ExponentialLR(o, gamma=0.9)),
        "cosine": lr_sequence(lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001), epochs=40),
        "warmup": lr_sequence(lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4)),
        "warmup_cosine": lr_sequence(lambda o: S.SequentialLR(
            o, [S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), S.CosineAnnealingLR(o, T_max=10)],
            milestones=[4]), epochs=30),
    }
    metrics, plateau = plateau_sequence()
    schedules["plateau_metrics"] = metrics
    schedules["plateau"] = plateau
    np.savez(os.path.join(out_dir, "schedulers.npz"), **schedules)

    # Clipping: three gradients, norms 2, 1, inf and 3, with max_norm below and above the total.
    clip = {}
    grads = [torch.randn(*s, dtype=torch.float64, generator=gen) for s in [(5, 3), (7,), (2, 2, 2)]]
    for i, g in enumerate(grads):
        clip[f"grad.{i}"] = g.numpy()
    for tag, norm_type in [("2", 2.0), ("1", 1.0), ("inf", math.inf), ("3", 3.0)]:
        for max_norm in (0.5, 100.0):
            ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
            for p, g in zip(ps, grads):
                p.grad = g.clone()
            total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
            clip[f"norm.{tag}.{max_norm}"] = np.array(total.item())
            for i, p in enumerate(ps):
                clip[f"clipped.{tag}.{max_norm}.{i}"] = p.grad.numpy()
    np.savez(os.path.join(out_dir, "clip_grad.npz"), **clip)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/data/optim"))
