"""Reference values for tests/datasets: d2l's batching and Vocab, run verbatim on tapegrad's RNG.

d2l draws from Python's `random`; tapegrad draws from tg::Generator (a std::mt19937_64 with its own
`below`). To compare the algorithms and not the generators, d2l's functions below are the book's code
(d2l 1.0, chapter 9) with `random` replaced by an object that exposes `randint` and `shuffle` on top
of a Python port of tg::Generator. Writes tests/data/datasets/{lm_batches.npz, vocab_*.txt}.
"""
import collections
import os
import sys

import numpy as np

MASK64 = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64 (the C++ standard's parameters)."""

    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK64
        for i in range(1, 312):
            self.mt[i] = (6364136223846793005 * (self.mt[i - 1] ^ (self.mt[i - 1] >> 62)) + i) & MASK64
        self.index = 312

    def __call__(self):
        if self.index >= 312:
            for i in range(312):
                x = (self.mt[i] & 0xFFFFFFFF80000000) | (self.mt[(i + 1) % 312] & 0x7FFFFFFF)
                xa = x >> 1
                if x & 1:
                    xa ^= 0xB5026F5AA96619E9
                self.mt[i] = self.mt[(i + 156) % 312] ^ xa
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64


class TgRandom:
    """The subset of Python's `random` d2l uses, drawn as tg::Generator::below draws."""

    def __init__(self, seed):
        self.engine = MT19937_64(seed)

    def below(self, n):
        limit = MASK64 - MASK64 % n
        while True:
            x = self.engine()
            if x < limit:
                return x % n

    def randint(self, a, b):
        return a + self.below(b - a + 1)

    def shuffle(self, x):
        for i in reversed(range(1, len(x))):
            j = self.below(i + 1)
            x[i], x[j] = x[j], x[i]


# ---- d2l, verbatim but for `random` -----------------------------------------------------------

def seq_data_iter_random(random, corpus, batch_size, num_steps):
    corpus = corpus[random.randint(0, num_steps - 1):]
    num_subseqs = (len(corpus) - 1) // num_steps
    initial_indices = list(range(0, num_subseqs * num_steps, num_steps))
    random.shuffle(initial_indices)

    def data(pos):
        return corpus[pos: pos + num_steps]

    num_batches = num_subseqs // batch_size
    for i in range(0, batch_size * num_batches, batch_size):
        initial_indices_per_batch = initial_indices[i: i + batch_size]
        X = [data(j) for j in initial_indices_per_batch]
        Y = [data(j + 1) for j in initial_indices_per_batch]
        yield np.array(X), np.array(Y)


def seq_data_iter_sequential(random, corpus, batch_size, num_steps):
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = np.array(corpus[offset: offset + num_tokens])
    Ys = np.array(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        X = Xs[:, i: i + num_steps]
        Y = Ys[:, i: i + num_steps]
        yield X, Y


class Vocab:
    """d2l's Vocab (reserved tokens after <unk>, sorted by count, Counter order on ties)."""

    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = list(['<unk>'] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])
        # d2l 1.0 builds idx_to_token from sorted(set(...)); the 0.17 book (kept here) keeps frequency
        # order, which is what tapegrad documents.
        seen, ordered = set(), []
        for token in self.idx_to_token:
            if token not in seen:
                seen.add(token)
                ordered.append(token)
        self.idx_to_token = ordered


def escape(token):
    return token.replace('\\', '\\\\').replace('\n', '\\n').replace('\t', '\\t').replace('\r', '\\r')


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    arrays = {}
    # d2l's own example: my_seq = list(range(35)), batch_size=2, num_steps=5; two epochs each.
    corpus = list(range(35))
    for name, fn in [('random', seq_data_iter_random), ('sequential', seq_data_iter_sequential)]:
        random = TgRandom(42)
        for epoch in range(2):
            for b, (X, Y) in enumerate(fn(random, corpus, 2, 5)):
                arrays[f'{name}_e{epoch}_b{b}_X'] = X.astype(np.int64)
                arrays[f'{name}_e{epoch}_b{b}_Y'] = Y.astype(np.int64)
    # First raw draws of tg::Generator(42).below(1000), to pin the port to the C++ generator.
    g = TgRandom(42)
    arrays['below1000_seed42'] = np.array([g.below(1000) for _ in range(8)], dtype=np.int64)
    np.savez(os.path.join(out_dir, 'lm_batches.npz'), **arrays)

    text = 'the cat sat on the mat\nthe dog sat on a log\n\tcats and dogs\n'
    for name, tokens, min_freq, reserved in [
            ('chars', list(text), 0, []),
            ('words_min2', text.split(), 2, ['<pad>', '<bos>', '<eos>'])]:
        vocab = Vocab(tokens, min_freq, reserved)
        with open(os.path.join(out_dir, f'vocab_{name}.txt'), 'w', encoding='utf-8', newline='\n') as f:
            for token in vocab.idx_to_token:
                f.write(escape(token) + '\n')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'data', 'datasets'))
