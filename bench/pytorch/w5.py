"""W5's model in PyTorch (bench/WORKLOADS.md): a GRU encoder, a decoder of GRU cells stepped one token
at a time with additive attention; forward() for training (bench/pytorch/workloads.py), encode() and
step() for decoding (bench/decoding/pytorch_decoding.py). Import after setting OpenBLAS's threads.
"""
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class AdditiveAttention(nn.Module):
    """score(q, k) = w_v^T tanh(W_q q + W_k k); the keys are projected once per batch by the caller."""

    def __init__(self, hidden):
        super().__init__()
        self.W_q = nn.Linear(hidden, hidden, bias=False)
        self.W_k = nn.Linear(hidden, hidden, bias=False)
        self.w_v = nn.Linear(hidden, 1, bias=False)

    def forward(self, query, keys, values, pad):  # (B, H), (B, S, H), (B, S, H), (B, S) bool
        features = torch.tanh(self.W_q(query).unsqueeze(1) + keys)
        scores = self.w_v(features).squeeze(-1).masked_fill(pad, -1e6)
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights.unsqueeze(1), values).squeeze(1)


class Seq2Seq(nn.Module):
    """W5: GRU encoder; decoder of GRU cells stepped one token at a time with additive attention."""

    def __init__(self, s):
        super().__init__()
        self.encoder_embedding = nn.Embedding(s["vocab_src"], s["embed"])
        self.encoder = nn.GRU(s["embed"], s["hidden"], s["layers"])
        self.decoder_embedding = nn.Embedding(s["vocab_tgt"], s["embed"])
        self.attention = AdditiveAttention(s["hidden"])
        self.decoder = nn.ModuleList(
            [nn.GRUCell(s["hidden"] + s["embed"] if i == 0 else s["hidden"], s["hidden"]) for i in range(s["layers"])])
        self.fc = nn.Linear(s["hidden"], s["vocab_tgt"])

    def forward(self, src, src_pad, dec_in):  # (S, B), (B, S), (T, B) -> (T, B, vocab_tgt)
        enc_out, h_n = self.encoder(self.encoder_embedding(src))
        values = enc_out.transpose(0, 1)
        keys = self.attention.W_k(values)
        state = list(h_n.unbind(0))
        embedded = self.decoder_embedding(dec_in)
        outputs = []
        for t in range(dec_in.shape[0]):
            context = self.attention(state[-1], keys, values, src_pad)
            x = torch.cat([context, embedded[t]], dim=-1)
            for i, cell in enumerate(self.decoder):
                state[i] = cell(x, state[i])
                x = state[i]
            outputs.append(x)
        return self.fc(torch.stack(outputs))

    def encode(self, src, lengths):
        """src (S, B), lengths (B): the encoder stops at each source's end (as tapegrad's with lengths).
        Returns values and keys (B, S, H), the padding mask (B, S) and the decoder's initial state."""
        packed = pack_padded_sequence(self.encoder_embedding(src), lengths, enforce_sorted=False)
        enc_out, h_n = self.encoder(packed)
        values = pad_packed_sequence(enc_out, total_length=src.shape[0])[0].transpose(0, 1)
        pad = torch.arange(src.shape[0]).unsqueeze(0) >= lengths.unsqueeze(1)
        return values, self.attention.W_k(values), pad, list(h_n.unbind(0))

    def step(self, tokens, state, keys, values, pad):
        """tokens (B): the previous tokens -> logits (B, vocab_tgt) and the next state."""
        x = torch.cat([self.attention(state[-1], keys, values, pad), self.decoder_embedding(tokens)], dim=-1)
        next_state = []
        for i, cell in enumerate(self.decoder):
            x = cell(x, state[i])
            next_state.append(x)
        return self.fc(x), next_state
