#!/usr/bin/python3
"""W1-W7 (docs: bench/WORKLOADS.md) in PyTorch, as a PyTorch user writes them.

    OPENBLAS_NUM_THREADS is set from --threads-config before torch is imported, so run it directly:
    /usr/bin/python3 bench/pytorch/workloads.py --workload W1 --steps 20 --warmup 5 --threads-config best2

"1T" = 1 intra-op thread + 1 OpenBLAS thread; "best2" = 1 intra-op + 2 OpenBLAS threads (Debian's
PyTorch sends every product to OpenBLAS, whose pool torch.set_num_threads never resizes; this is
its fastest 2-core setting). Prints one JSON line. Sizes, data and initial parameters mirror
bench/common/harness.hpp exactly, so the first-step loss equals that of the C++ implementations.
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
    p.add_argument("--workload", default="W1", choices=["W1", "W2", "W3", "W4", "W5", "W6", "W7"])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads-config", default="1T", choices=sorted(BLAS_THREADS))
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
# OpenBLAS sizes its pool when the library loads, i.e. at `import torch`.
os.environ["OPENBLAS_NUM_THREADS"] = BLAS_THREADS[ARGS.threads_config]
os.environ["OMP_NUM_THREADS"] = "1"

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from specs import TAGGERS, W5, W6, W7  # noqa: E402
import values  # noqa: E402
from values import init_parameters  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from w5 import Seq2Seq  # noqa: E402

def random_ints(name, shape, bound):
    return torch.from_numpy(values.random_ints(name, int(np.prod(shape)), bound).reshape(shape))


# ---- models ---------------------------------------------------------------------------------
class Tagger(nn.Module):
    """W1-W4: Embedding -> LSTM/GRU -> Linear at every position."""

    def __init__(self, lstm, vocab_in, embed, hidden, layers, bidirectional, vocab_out):
        super().__init__()
        self.embedding = nn.Embedding(vocab_in, embed)
        self.rnn = (nn.LSTM if lstm else nn.GRU)(embed, hidden, layers, bidirectional=bidirectional)
        self.fc = nn.Linear(hidden * (2 if bidirectional else 1), vocab_out)

    def forward(self, tokens):  # (seq, batch) -> (seq, batch, vocab_out)
        output, _ = self.rnn(self.embedding(tokens))
        return self.fc(output)


# W7: ELMo's biLM as AllenNLP writes it (allennlp/modules/elmo.py, elmo_lstm.py, highway.py,
# lstm_cell_with_projection.py), with its module names, so that the parameters are named as tapegrad's
# nn::ElmoBiLm's; every sentence is full length, so the stacks need no sorting by length.
class Highway(nn.Module):
    """y = g * x + (1 - g) * relu(p[:size]), g = sigmoid(p[size:]), p = x W^T + b; as allennlp.modules.Highway."""

    def __init__(self, size, num_layers):
        super().__init__()
        self._layers = nn.ModuleList([nn.Linear(size, 2 * size) for _ in range(num_layers)])

    def forward(self, x):
        for layer in self._layers:
            nonlinear, gate = layer(x).chunk(2, dim=-1)
            gate = torch.sigmoid(gate)
            x = gate * x + (1 - gate) * F.relu(nonlinear)
        return x


class CharacterEncoder(nn.Module):
    """Character ids (N, T, max_chars) -> token vectors (N, T, projection): embedding, one Conv1d per filter
    width max-pooled over the characters and relu'd, highway, projection (AllenNLP's _ElmoCharacterEncoder)."""

    def __init__(self, s):
        super().__init__()
        self._char_embedding_weights = nn.Parameter(torch.zeros(s["n_characters"], s["char_embed"]))
        for i, (width, count) in enumerate(s["filters"]):
            self.add_module(f"char_conv_{i}", nn.Conv1d(s["char_embed"], count, kernel_size=width))
        self.num_filters = len(s["filters"])
        filters = sum(count for _, count in s["filters"])
        self._highways = Highway(filters, s["n_highway"])
        self._projection = nn.Linear(filters, s["projection"])

    def forward(self, char_ids):
        n, steps, chars = char_ids.shape
        # Id 0 is an absent token's (padding_idx: its row gets no gradient).
        embedded = F.embedding(char_ids.reshape(-1, chars), self._char_embedding_weights, padding_idx=0).transpose(1, 2)
        convs = []
        for i in range(self.num_filters):
            convolved, _ = torch.max(getattr(self, f"char_conv_{i}")(embedded), dim=-1)
            convs.append(F.relu(convolved))
        return self._projection(self._highways(torch.cat(convs, dim=-1))).view(n, steps, -1)


class LstmCellWithProjection(nn.Module):
    """One direction of one layer: an LSTM whose cell is clipped and whose output is projected and clipped."""

    def __init__(self, input_size, hidden_size, cell_size, go_forward, cell_clip, proj_clip):
        super().__init__()
        self.cell_size, self.hidden_size, self.go_forward = cell_size, hidden_size, go_forward
        self.cell_clip, self.proj_clip = cell_clip, proj_clip
        self.input_linearity = nn.Linear(input_size, 4 * cell_size, bias=False)
        self.state_linearity = nn.Linear(hidden_size, 4 * cell_size, bias=True)
        self.state_projection = nn.Linear(cell_size, hidden_size, bias=False)

    def forward(self, x):  # (L, N, input_size), every sequence L long -> (L, N, hidden_size)
        steps, batch = x.shape[0], x.shape[1]
        projected_input = self.input_linearity(x)  # every step's input product at once
        memory = x.new_zeros(batch, self.cell_size)
        state = x.new_zeros(batch, self.hidden_size)
        outputs = [None] * steps
        for t in (range(steps) if self.go_forward else reversed(range(steps))):
            i, f, g, o = (projected_input[t] + self.state_linearity(state)).chunk(4, dim=-1)
            memory = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f) * memory
            if self.cell_clip:
                memory = torch.clamp(memory, -self.cell_clip, self.cell_clip)
            state = self.state_projection(torch.sigmoid(o) * torch.tanh(memory))
            if self.proj_clip:
                state = torch.clamp(state, -self.proj_clip, self.proj_clip)
            outputs[t] = state
        return torch.stack(outputs)


class ElmoLstm(nn.Module):
    """Forward and backward stacks that never mix, residual from the second layer on; (L, N, P) -> per layer (L, N, 2P)."""

    def __init__(self, s):
        super().__init__()
        self.num_layers = s["layers"]
        p = s["projection"]
        for k in range(self.num_layers):
            for go_forward in (True, False):
                self.add_module(f"{'forward' if go_forward else 'backward'}_layer_{k}", LstmCellWithProjection(
                    p, p, s["cell"], go_forward, s["cell_clip"], s["proj_clip"]))

    def forward(self, x):
        forward_sequence = backward_sequence = x
        outputs = []
        for k in range(self.num_layers):
            forward_cache, backward_cache = forward_sequence, backward_sequence
            forward_sequence = getattr(self, f"forward_layer_{k}")(forward_sequence)
            backward_sequence = getattr(self, f"backward_layer_{k}")(backward_sequence)
            if k != 0:
                forward_sequence = forward_sequence + forward_cache
                backward_sequence = backward_sequence + backward_cache
            outputs.append(torch.cat([forward_sequence, backward_sequence], -1))
        return outputs


class BiLm(nn.Module):
    """W7: token encoder -> ElmoLstm -> a softmax shared by both directions; loss 0.5 * (CE_forward + CE_backward)."""

    def __init__(self, s):
        super().__init__()
        self._token_embedder = CharacterEncoder(s)
        self._elmo_lstm = ElmoLstm(s)
        self.softmax = nn.Linear(s["projection"], s["vocab"])
        self.p, self.vocab = s["projection"], s["vocab"]

    def forward(self, char_ids, targets):  # (N, T, max_chars), (N, T) -> loss
        top = self._elmo_lstm(self._token_embedder(char_ids).transpose(0, 1))[-1]  # (T, N, 2P), time-major
        words = targets.t()
        # The forward stack at t predicts word t + 1, the backward one at t word t - 1.
        forward = F.cross_entropy(self.softmax(top[:-1, :, :self.p]).reshape(-1, self.vocab), words[1:].reshape(-1))
        backward = F.cross_entropy(self.softmax(top[1:, :, self.p:]).reshape(-1, self.vocab), words[:-1].reshape(-1))
        return 0.5 * (forward + backward)


def bilm_problem():
    s = W7
    model = BiLm(s)
    # Every token present (no id 0): all sentences are seq long.
    char_ids = random_ints("W7.characters", (s["batch"], s["seq"], s["max_chars"]), s["n_characters"] - 1) + 1
    targets = random_ints("W7.targets", (s["batch"], s["seq"]), s["vocab"])
    return model, lambda: model(char_ids, targets)


def tagger_problem(workload):
    lstm, vocab_in, embed, hidden, layers, bidir, vocab_out, batch, seq = TAGGERS[workload]
    model = Tagger(lstm, vocab_in, embed, hidden, layers, bidir, vocab_out)
    inputs = random_ints(workload + ".inputs", (seq, batch), vocab_in)
    targets = random_ints(workload + ".targets", (seq, batch), vocab_out)

    def loss_fn():
        return F.cross_entropy(model(inputs).reshape(-1, vocab_out), targets.reshape(-1))

    return model, loss_fn


def valid_mask(name, length, s):
    lengths = random_ints(name, (s["batch"],), s["max_valid"] - s["min_valid"] + 1) + s["min_valid"]
    return torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)  # (B, length)


def seq2seq_problem():
    s = W5
    model = Seq2Seq(s)
    src = random_ints("W5.source", (s["src_len"], s["batch"]), s["vocab_src"])
    tgt = random_ints("W5.target", (s["tgt_len"], s["batch"]), s["vocab_tgt"])
    dec_in = torch.cat([torch.full((1, s["batch"]), s["bos"], dtype=torch.int64), tgt[:-1]])
    src_pad = ~valid_mask("W5.source_lengths", s["src_len"], s)
    tgt_mask = valid_mask("W5.target_lengths", s["tgt_len"], s).t()  # (T, B)

    def loss_fn():
        logits = model(src, src_pad, dec_in)
        losses = F.cross_entropy(logits.reshape(-1, s["vocab_tgt"]), tgt.reshape(-1), reduction="none")
        mask = tgt_mask.reshape(-1).to(losses.dtype)
        return (losses * mask).sum() / mask.sum()

    return model, loss_fn


def chain_step():
    """W6: forward + backward through ops x (+ c, tanh, + c, ...); returns the sum of the result."""
    x = torch.from_numpy(np.linspace(-1, 1, W6["width"], dtype=np.float32).reshape(1, -1)).requires_grad_()
    c = torch.full((1, W6["width"]), 0.01)  # float32, as kChainAddend

    def step():
        y = x
        for i in range(W6["ops"]):
            y = y + c if i % 2 == 0 else torch.tanh(y)
        loss = y.sum()
        loss.backward()
        x.grad = None
        return loss.item()

    return step


def training_step(model, loss_fn):
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        return loss.item()

    return step


def main():
    torch.set_num_threads(1)
    if ARGS.workload == "W6":
        step = chain_step()
    elif ARGS.workload == "W7":
        model, loss_fn = bilm_problem()
        init_parameters(model)
        step = training_step(model, loss_fn)
    else:
        model, loss_fn = tagger_problem(ARGS.workload) if ARGS.workload in TAGGERS else seq2seq_problem()
        init_parameters(model)
        step = training_step(model, loss_fn)
    times, losses = [], []
    for i in range(ARGS.warmup + ARGS.steps):
        start = time.perf_counter()
        losses.append(step())
        elapsed = (time.perf_counter() - start) * 1e3
        if i >= ARGS.warmup:
            times.append(elapsed)
    print(json.dumps({
        "impl": "pytorch", "workload": ARGS.workload, "threads": ARGS.threads_config, "steps": ARGS.steps,
        "warmup": ARGS.warmup, "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
        "loss_first": losses[0], "loss_last": losses[-1],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "times_ms": times,
    }), flush=True)


if __name__ == "__main__":
    main()
