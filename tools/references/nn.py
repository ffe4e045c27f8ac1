"""PyTorch references for tests/nn/*_test.cpp: each case's state dict ("state.<name>"), input ("x"
or integer "ids"), output ("y"), the fixed output weights of the loss sum(y * dy) ("dy"), and the
gradients of that loss ("grad.<name>" for parameters, "grad.x" for the input)."""
import os
import sys

import numpy as np
import torch


def save_case(path, module, inputs, output):
    dy = torch.randn_like(output)
    (output * dy).sum().backward()
    arrays = {f"state.{k}": v.detach().numpy() for k, v in module.state_dict().items()}
    arrays.update({f"grad.{k}": p.grad.numpy() for k, p in module.named_parameters()})
    for name, value in inputs.items():
        arrays[name] = value.detach().numpy()
        if value.requires_grad:
            arrays[f"grad.{name}"] = value.grad.numpy()
    arrays["y"] = output.detach().numpy()
    arrays["dy"] = dy.numpy()
    np.savez(path, **arrays)


class AllenNlpHighway(torch.nn.Module):
    """allennlp.modules.Highway, transcribed (AllenNLP itself is not installed)."""

    def __init__(self, size, num_layers):
        super().__init__()
        self._layers = torch.nn.ModuleList([torch.nn.Linear(size, size * 2) for _ in range(num_layers)])
        for layer in self._layers:
            layer.bias[size:].data.fill_(1)

    def forward(self, x):
        current = x
        for layer in self._layers:
            nonlinear, gate = layer(current).chunk(2, dim=-1)
            gate = torch.sigmoid(gate)
            current = gate * current + (1 - gate) * torch.relu(nonlinear)
        return current


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)

    linear = torch.nn.Linear(5, 3)
    x = torch.randn(2, 4, 5, requires_grad=True)
    save_case(os.path.join(out_dir, "linear.npz"), linear, {"x": x}, linear(x))

    embedding = torch.nn.Embedding(7, 4, padding_idx=2)
    ids = torch.tensor([[0, 2, 5], [5, 6, 2]])
    save_case(os.path.join(out_dir, "embedding.npz"), embedding, {"ids": ids}, embedding(ids))

    layer_norm = torch.nn.LayerNorm(6, eps=1e-5)
    with torch.no_grad():  # not the trivial ones/zeros, so that the affine part is exercised
        layer_norm.weight.copy_(torch.randn(6))
        layer_norm.bias.copy_(torch.randn(6))
    x = (torch.randn(3, 2, 6) * 3 + 1).requires_grad_()
    save_case(os.path.join(out_dir, "layer_norm.npz"), layer_norm, {"x": x}, layer_norm(x))

    conv = torch.nn.Conv1d(3, 4, kernel_size=3, stride=2, padding=1)
    x = torch.randn(2, 3, 9, requires_grad=True)
    save_case(os.path.join(out_dir, "conv1d.npz"), conv, {"x": x}, conv(x))

    conv = torch.nn.Conv1d(2, 5, kernel_size=4, bias=False)
    x = torch.randn(3, 2, 7, requires_grad=True)
    save_case(os.path.join(out_dir, "conv1d_nobias.npz"), conv, {"x": x}, conv(x))

    highway = AllenNlpHighway(4, 2)
    x = torch.randn(3, 4, requires_grad=True)
    save_case(os.path.join(out_dir, "highway.npz"), highway, {"x": x}, highway(x))

    # A state dict saved the way the README tells PyTorch users to.
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3), torch.nn.LayerNorm(3))
    np.savez(os.path.join(out_dir, "torch_sequential.npz"), **{k: v.numpy() for k, v in model.state_dict().items()})
    x = torch.randn(2, 4)
    np.savez(os.path.join(out_dir, "torch_sequential_io.npz"), x=x.numpy(), y=model(x).detach().numpy())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/data/nn"))
