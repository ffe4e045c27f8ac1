"""Reference values for tapegrad's recurrent layers (tests/nn/rnn_test.cpp), from PyTorch 1.13.

Each case is one torch.nn.RNN / LSTM / GRU with small sizes, run on a padded batch through
pack_padded_sequence(enforce_sorted=False) / pad_packed_sequence when its lengths are uneven, and
differentiated through the fixed scalar loss
    sum(output * R) + sum(h_n * S) [+ sum(c_n * T) for LSTM].
Saved per case (tests/data/rnn/<case>.npz): the parameters under PyTorch's names, input, lengths,
h0 / c0 (when the case has initial states), output (zeros at padded positions), h_n, c_n, R, S, T,
grad_<parameter>, grad_input, grad_h0 / grad_c0, and the configuration as meta_* scalars.

Usage: /usr/bin/python3 tools/references/rnn.py [out_dir]   (default tests/data/rnn)
"""
import os
import sys

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

INPUT, HIDDEN, SEQ, BATCH = 4, 5, 5, 3
UNEVEN = [5, 3, 1]
EVEN = [SEQ] * BATCH

MODES = {"rnn_tanh": 0, "rnn_relu": 1, "lstm": 2, "gru": 3}


def make_module(mode, layers, bidirectional, batch_first, proj_size):
    common = dict(input_size=INPUT, hidden_size=HIDDEN, num_layers=layers,
                  bidirectional=bidirectional, batch_first=batch_first)
    if mode == "lstm":
        return torch.nn.LSTM(proj_size=proj_size, **common)
    if mode == "gru":
        return torch.nn.GRU(**common)
    return torch.nn.RNN(nonlinearity=mode.split("_")[1], **common)


def run_case(out_dir, name, mode, layers, bidirectional, batch_first, lengths, initial_state,
             proj_size=0, dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    module = make_module(mode, layers, bidirectional, batch_first, proj_size).to(dtype)
    directions = 2 if bidirectional else 1
    h_out = proj_size if proj_size > 0 else HIDDEN
    shape = (BATCH, SEQ, INPUT) if batch_first else (SEQ, BATCH, INPUT)
    x = torch.randn(*shape, dtype=dtype, requires_grad=True)
    h0 = c0 = None
    if initial_state:
        h0 = (0.5 * torch.randn(directions * layers, BATCH, h_out, dtype=dtype)).requires_grad_()
        if mode == "lstm":
            c0 = (0.5 * torch.randn(directions * layers, BATCH, HIDDEN, dtype=dtype)).requires_grad_()
    state = (h0, c0) if mode == "lstm" and initial_state else h0

    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
    out_packed, final = module(packed, state)
    output, _ = pad_packed_sequence(out_packed, batch_first=batch_first, total_length=SEQ)
    h_n, c_n = final if mode == "lstm" else (final, None)

    R = torch.randn(output.shape, dtype=dtype)
    S = torch.randn(h_n.shape, dtype=dtype)
    loss = (output * R).sum() + (h_n * S).sum()
    arrays = {}
    if c_n is not None:
        T = torch.randn(c_n.shape, dtype=dtype)
        loss = loss + (c_n * T).sum()
        arrays.update(c_n=c_n, T=T)
    loss.backward()

    for pname, p in module.named_parameters():
        arrays[pname] = p
        arrays["grad_" + pname] = p.grad
    arrays.update(input=x, output=output, h_n=h_n, R=R, S=S, grad_input=x.grad)
    if h0 is not None:
        arrays.update(h0=h0, grad_h0=h0.grad)
    if c0 is not None:
        arrays.update(c0=c0, grad_c0=c0.grad)
    arrays = {k: v.detach().numpy() for k, v in arrays.items()}
    arrays["lengths"] = np.array(lengths, dtype=np.int64)
    meta = dict(mode=MODES[mode], num_layers=layers, bidirectional=int(bidirectional),
                batch_first=int(batch_first), proj_size=proj_size, input_size=INPUT,
                hidden_size=HIDDEN, float64=int(dtype == torch.float64))
    for k, v in meta.items():
        arrays["meta_" + k] = np.array(v, dtype=np.int64)
    np.savez(os.path.join(out_dir, name + ".npz"), **arrays)


def run_cell_case(out_dir, name, cell, seed):
    """One step of torch.nn.RNNCell / LSTMCell / GRUCell, into <out_dir>/cells/<name>.npz."""
    torch.manual_seed(seed)
    x = torch.randn(BATCH, INPUT, requires_grad=True)
    h = (0.5 * torch.randn(BATCH, HIDDEN)).requires_grad_()
    arrays = {}
    if isinstance(cell, torch.nn.LSTMCell):
        c = (0.5 * torch.randn(BATCH, HIDDEN)).requires_grad_()
        h1, c1 = cell(x, (h, c))
        T = torch.randn(c1.shape)
        arrays.update(c=c, c1=c1, T=T)
    else:
        h1, c1 = cell(x, h), None
    R = torch.randn(h1.shape)
    loss = (h1 * R).sum() + ((c1 * arrays["T"]).sum() if c1 is not None else 0)
    loss.backward()
    for pname, p in cell.named_parameters():
        arrays[pname] = p
        arrays["grad_" + pname] = p.grad
    arrays.update(input=x, h=h, h1=h1, R=R, grad_input=x.grad, grad_h=h.grad)
    if c1 is not None:
        arrays["grad_c"] = arrays["c"].grad
    arrays = {k: v.detach().numpy() for k, v in arrays.items()}
    os.makedirs(os.path.join(out_dir, "cells"), exist_ok=True)
    np.savez(os.path.join(out_dir, "cells", name + ".npz"), **arrays)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(100)
    run_cell_case(out_dir, "rnn_cell_tanh", torch.nn.RNNCell(INPUT, HIDDEN), 101)
    run_cell_case(out_dir, "rnn_cell_relu", torch.nn.RNNCell(INPUT, HIDDEN, nonlinearity="relu"), 102)
    run_cell_case(out_dir, "lstm_cell", torch.nn.LSTMCell(INPUT, HIDDEN), 103)
    run_cell_case(out_dir, "gru_cell", torch.nn.GRUCell(INPUT, HIDDEN), 104)
    seed = 0
    for mode in ["rnn_tanh", "rnn_relu", "lstm", "gru"]:
        for layers in [1, 2]:
            for bidirectional in [False, True]:
                seed += 1
                # Alternate layout, padding and initial states so that every combination of each
                # pair of features shows up somewhere.
                batch_first = (layers + bidirectional) % 2 == 1
                uneven = layers == 2 or bidirectional
                initial = (seed % 2) == 0
                name = "{}_l{}_{}{}{}{}".format(mode, layers, "bi" if bidirectional else "uni",
                                              "_bf" if batch_first else "", "_padded" if uneven else "",
                                              "_h0" if initial else "")
                run_case(out_dir, name, mode, layers, bidirectional, batch_first,
                         UNEVEN if uneven else EVEN, initial, seed=seed)
    run_case(out_dir, "lstm_proj_l1_uni_h0", "lstm", 1, False, False, EVEN, True, proj_size=3, seed=20)
    run_case(out_dir, "lstm_proj_l2_bi_bf_padded", "lstm", 2, True, True, UNEVEN, False, proj_size=3, seed=21)
    run_case(out_dir, "lstm_proj_l2_bi_padded_h0", "lstm", 2, True, False, UNEVEN, True, proj_size=3, seed=22)
    run_case(out_dir, "f64_lstm_l2_bi_padded_h0", "lstm", 2, True, False, UNEVEN, True,
             dtype=torch.float64, seed=30)
    run_case(out_dir, "f64_gru_l2_bi_bf_padded", "gru", 2, True, True, UNEVEN, False,
             dtype=torch.float64, seed=31)
    run_case(out_dir, "f64_rnn_tanh_l2_bi_padded_h0", "rnn_tanh", 2, True, False, UNEVEN, True,
             dtype=torch.float64, seed=32)
    run_case(out_dir, "f64_lstm_proj_l2_bi_padded", "lstm", 2, True, False, UNEVEN, False, proj_size=3,
             dtype=torch.float64, seed=33)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "rnn"))
