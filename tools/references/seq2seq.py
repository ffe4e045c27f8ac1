"""PyTorch references for tests/nn/attention_test.cpp and tests/nn/seq2seq_test.cpp, in float64.

The modules below are written with torch.nn under the parameter names of tapegrad's nn/attention.hpp
and nn/seq2seq.hpp, so a state dict saved here ("state.<name>") loads into the C++ model by name.

attention_<kind>.npz: queries, keys, values, integer lengths; outputs "context" and "weights"; the
    fixed loss weights "dcontext", "dweights" of sum(context * dcontext) + sum(weights * dweights);
    the gradients "grad.<parameter>" and "grad.queries", "grad.keys", "grad.values".
seq2seq_<case>.npz: integer source (S, N), source_lengths, decoder inputs (T, N) starting with <bos>,
    targets (T, N), target_lengths; outputs "logits" (T, N, V), "attention" (T, N, S) for attention
    decoders, "loss" (the masked cross-entropy) and "grad.<parameter>" of the loss.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

RNN = {"gru": nn.GRU, "lstm": nn.LSTM}


def masked_softmax(scores, lengths):
    """Softmax over the last axis, -inf beyond each batch row's length (weights exactly 0 there)."""
    keys = scores.shape[-1]
    padding = torch.arange(keys)[None, :] >= lengths[:, None]
    padding = padding.view(scores.shape[0], *([1] * (scores.dim() - 2)), keys)
    return torch.softmax(scores.masked_fill(padding, float("-inf")), dim=-1)


class AdditiveAttention(nn.Module):
    """d2l's AdditiveAttention, without dropout."""

    def __init__(self, key_size, query_size, num_hiddens):
        super().__init__()
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)

    def forward(self, queries, keys, values, lengths):
        features = torch.tanh(self.W_q(queries).unsqueeze(2) + self.W_k(keys).unsqueeze(1))
        weights = masked_softmax(self.w_v(features).squeeze(-1), lengths)
        return torch.bmm(weights, values), weights


class DotProductAttention(nn.Module):
    def __init__(self, scaled):
        super().__init__()
        self.scaled = scaled

    def forward(self, queries, keys, values, lengths):
        scores = torch.bmm(queries, keys.transpose(1, 2))
        if self.scaled:
            scores = scores / keys.shape[-1] ** 0.5
        weights = masked_softmax(scores, lengths)
        return torch.bmm(weights, values), weights


class Encoder(nn.Module):
    """Seq2SeqEncoder: embedding + recurrent layer over the valid prefix of each source."""

    def __init__(self, rnn, vocab, embed, hidden, layers, bidirectional):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = RNN[rnn](embed, hidden, layers, bidirectional=bidirectional)
        self.directions = 2 if bidirectional else 1

    def forward(self, source, lengths):
        packed = pack_padded_sequence(self.embedding(source), lengths, enforce_sorted=False)
        output, state = self.rnn(packed)
        output, _ = pad_packed_sequence(output, total_length=source.shape[0])
        return output, state if isinstance(state, tuple) else (state,)


def merge_directions(state, layers, directions):
    """(D * layers, N, H) -> (layers, N, D * H): each layer's forward and backward state side by side."""
    _, batch, hidden = state.shape
    return state.view(layers, directions, batch, hidden).permute(0, 2, 1, 3).reshape(layers, batch, directions * hidden)


class Decoder(nn.Module):
    """Both decoders: rnn input [embedded previous token; context], the context being the encoder's top
    layer final state (plain) or the additive attention of s_{i-1} over the annotations (attention)."""

    def __init__(self, rnn, vocab, embed, hidden, layers, context_size, attention_hiddens=0, bahdanau_init=0,
                 maxout=0):
        super().__init__()
        self.layers, self.hidden, self.rnn_type = layers, hidden, rnn
        if attention_hiddens:
            self.attention = AdditiveAttention(context_size, hidden, attention_hiddens)
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = RNN[rnn](embed + context_size, hidden, layers)
        if bahdanau_init:
            self.W_s = nn.Linear(bahdanau_init, layers * hidden)
        if maxout:
            self.deep_output = nn.Linear(hidden + embed + context_size, 2 * maxout)
        self.dense = nn.Linear(maxout if maxout else hidden, vocab)
        self.maxout = maxout

    def init_state(self, output, state, lengths, encoder):
        layers, directions = encoder.rnn.num_layers, encoder.directions
        merged = [merge_directions(s, layers, directions) for s in state]
        if hasattr(self, "W_s"):
            # Bahdanau et al.: s_0 = tanh(W_s <-h_1), the top layer's backward state at the first position.
            h1 = output[0, :, -encoder.rnn.hidden_size:]
            h = torch.tanh(self.W_s(h1)).view(-1, self.layers, self.hidden).transpose(0, 1).contiguous()
            rnn_state = (h, torch.zeros_like(h)) if self.rnn_type == "lstm" else (h,)
        else:
            rnn_state = tuple(merged)
        return {"rnn": rnn_state, "context": merged[0][-1], "memory": output.transpose(0, 1), "lengths": lengths}

    def forward(self, inputs, state):
        embedded = self.embedding(inputs)
        logits, weights = [], []
        rnn_state = state["rnn"]
        for x in embedded:
            if hasattr(self, "attention"):
                query = rnn_state[0][-1].unsqueeze(1)
                context, w = self.attention(query, state["memory"], state["memory"], state["lengths"])
                context = context.squeeze(1)
                weights.append(w.squeeze(1))
            else:
                context = state["context"]
            out, rnn_state = self.rnn(torch.cat([x, context], -1).unsqueeze(0),
                                      rnn_state if len(rnn_state) == 2 else rnn_state[0])
            rnn_state = rnn_state if isinstance(rnn_state, tuple) else (rnn_state,)
            s = out[0]
            if self.maxout:
                t = self.deep_output(torch.cat([s, x, context], -1))
                s = t.view(t.shape[0], self.maxout, 2).max(-1).values
            logits.append(self.dense(s))
        return torch.stack(logits), torch.stack(weights) if weights else None


class EncoderDecoder(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, source, source_lengths, inputs):
        output, state = self.encoder(source, source_lengths)
        return self.decoder(inputs, self.decoder.init_state(output, state, source_lengths, self.encoder))


def masked_cross_entropy(logits, targets, lengths):
    real = torch.arange(targets.shape[0])[:, None] < lengths[None, :]
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    return (losses * real.reshape(-1)).sum() / real.sum()


def attention_case(out_dir, name, module, query_size, key_size):
    queries = torch.randn(3, 2, query_size, dtype=torch.float64, requires_grad=True)
    keys = torch.randn(3, 5, key_size, dtype=torch.float64, requires_grad=True)
    values = torch.randn(3, 5, 4, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([5, 2, 1])
    context, weights = module(queries, keys, values, lengths)
    dcontext, dweights = torch.randn_like(context), torch.randn_like(weights)
    ((context * dcontext).sum() + (weights * dweights).sum()).backward()
    arrays = {f"state.{k}": v.numpy() for k, v in module.state_dict().items()}
    arrays.update({f"grad.{k}": p.grad.numpy() for k, p in module.named_parameters()})
    for key, t in {"queries": queries, "keys": keys, "values": values}.items():
        arrays[key], arrays[f"grad.{key}"] = t.detach().numpy(), t.grad.numpy()
    arrays.update(lengths=lengths.numpy(), context=context.detach().numpy(), weights=weights.detach().numpy(),
                  dcontext=dcontext.numpy(), dweights=dweights.numpy())
    np.savez(os.path.join(out_dir, f"attention_{name}.npz"), **arrays)


def seq2seq_case(out_dir, name, rnn, bidirectional, encoder_layers, decoder_layers, attention, bahdanau_init=False,
                 maxout=0, seed=0):
    torch.manual_seed(seed)
    src_vocab, tgt_vocab, embed, hidden = 7, 9, 4, 5
    directions = 2 if bidirectional else 1
    encoder = Encoder(rnn, src_vocab, embed, hidden, encoder_layers, bidirectional)
    decoder = Decoder(rnn, tgt_vocab, 3, directions * hidden, decoder_layers, directions * hidden,
                      attention_hiddens=6 if attention else 0, bahdanau_init=hidden if bahdanau_init else 0,
                      maxout=maxout)
    model = EncoderDecoder(encoder, decoder).double()
    source_lengths, target_lengths = torch.tensor([6, 4, 2]), torch.tensor([5, 2, 3])
    source = torch.randint(1, src_vocab, (6, 3))
    targets = torch.randint(1, tgt_vocab, (5, 3))
    for b in range(3):  # padding id 0 beyond the lengths, as a batch would be
        source[source_lengths[b]:, b] = 0
        targets[target_lengths[b]:, b] = 0
    inputs = torch.cat([torch.full((1, 3), 1), targets[:-1]])
    logits, weights = model(source, source_lengths, inputs)
    loss = masked_cross_entropy(logits, targets, target_lengths)
    loss.backward()
    arrays = {f"state.{k}": v.numpy() for k, v in model.state_dict().items()}
    arrays.update({f"grad.{k}": p.grad.numpy() for k, p in model.named_parameters()})
    arrays.update(source=source.numpy(), source_lengths=source_lengths.numpy(), inputs=inputs.numpy(),
                  targets=targets.numpy(), target_lengths=target_lengths.numpy(), logits=logits.detach().numpy(),
                  loss=loss.detach().numpy())
    if weights is not None:
        arrays["attention"] = weights.detach().numpy()
    np.savez(os.path.join(out_dir, f"seq2seq_{name}.npz"), **arrays)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    attention_case(out_dir, "additive", AdditiveAttention(6, 3, 7).double(), 3, 6)
    attention_case(out_dir, "dot", DotProductAttention(False), 6, 6)
    attention_case(out_dir, "scaled_dot", DotProductAttention(True), 6, 6)
    # d2l's set-up: a 2-layer encoder whose final state starts the decoder.
    seq2seq_case(out_dir, "gru_bi_l2_attention", "gru", True, 2, 2, attention=True, seed=1)
    # Bahdanau et al.'s: one bidirectional layer, s_0 = tanh(W_s <-h_1), a maxout deep output.
    seq2seq_case(out_dir, "gru_bi_bahdanau_maxout", "gru", True, 1, 1, attention=True, bahdanau_init=True, maxout=4,
                 seed=2)
    seq2seq_case(out_dir, "lstm_uni_l2_attention", "lstm", False, 2, 2, attention=True, seed=3)
    seq2seq_case(out_dir, "gru_uni_l2_plain", "gru", False, 2, 2, attention=False, seed=4)
    seq2seq_case(out_dir, "lstm_bi_l1_plain", "lstm", True, 1, 1, attention=False, seed=5)
