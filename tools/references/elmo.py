"""Reference files for tapegrad's ELMo (tests/nn/elmo_test.cpp, tests/nn/elmo_weights_test.cpp).

AllenNLP is not installed here, so its ELMo code is transcribed below, step for step, from
allennlp/modules/elmo.py, elmo_lstm.py, lstm_cell_with_projection.py, scalar_mix.py, nn/util.py and
data/token_indexers/elmo_indexer.py (the versions of 2020, commit 835ec07):
  - a small random biLM written in exactly AllenNLP's weights.hdf5 layout (TensorFlow's matrices,
    gate order i, j, f, o, the forget bias added at run time, the highway carry gate) with h5py,
    and its options.json;
  - AllenNLP's loader, converting those datasets to PyTorch's layout;
  - AllenNLP's forward: character ids and sentence boundaries, character CNN, both LSTM stacks
    (sorted by length as _EncoderBase does, cell and projection clipped, residual from layer 2),
    scalar mixes with and without layer norm, the boundaries removed;
and saves every layer's output (float64, from the file's float32 weights), the converted state dict
under AllenNLP's module names ("state.<name>") and the scalar mix's gradients of sum(elmo * dy).

Needs PyTorch and h5py for /usr/bin/python3: apt-get install python3-torch python3-h5py.
Usage: /usr/bin/python3 tools/make_references.py elmo
"""
import json
import os
import sys

import numpy as np

try:
    import h5py
    import torch
except ImportError as e:
    sys.exit(f"tools/references/elmo.py needs PyTorch and h5py for /usr/bin/python3 "
             f"(apt-get install python3-torch python3-h5py): {e}")

OPTIONS = {
    "lstm": {"use_skip_connections": True, "projection_dim": 6, "cell_clip": 1.5, "proj_clip": 0.6,
             "dim": 10, "n_layers": 2},
    "char_cnn": {"activation": "relu", "filters": [[1, 4], [2, 6], [3, 6]], "n_highway": 2,
                 "embedding": {"dim": 4}, "n_characters": 262, "max_characters_per_token": 50},
}
SENTENCES = [["The", "cat", "sat", "on", "mats"], ["\u00c9lan", "vital"], ["a"]]
SCALAR_PARAMETERS = [0.3, -0.5, 1.2]
GAMMA = 0.8

# ---- allennlp/data/token_indexers/elmo_indexer.py -------------------------------------------------
MAX_WORD_LENGTH, BOS_CHAR, EOS_CHAR, BOW_CHAR, EOW_CHAR, PAD_CHAR = 50, 256, 257, 258, 259, 260


def make_bos_eos(character):
    ids = [PAD_CHAR] * MAX_WORD_LENGTH
    ids[0], ids[1], ids[2] = BOW_CHAR, character, EOW_CHAR
    return ids


def convert_word_to_char_ids(word):
    if word == "<S>":
        ids = make_bos_eos(BOS_CHAR)
    elif word == "</S>":
        ids = make_bos_eos(EOS_CHAR)
    else:
        encoded = word.encode("utf-8", "ignore")[: MAX_WORD_LENGTH - 2]
        ids = [PAD_CHAR] * MAX_WORD_LENGTH
        ids[0] = BOW_CHAR
        for k, c in enumerate(encoded, start=1):
            ids[k] = c
        ids[len(encoded) + 1] = EOW_CHAR
    return [c + 1 for c in ids]


def batch_to_ids(batch):
    longest = max(len(s) for s in batch)
    ids = np.zeros((len(batch), longest, MAX_WORD_LENGTH), dtype=np.int64)
    for n, sentence in enumerate(batch):
        for t, word in enumerate(sentence):
            ids[n, t] = convert_word_to_char_ids(word)
    return torch.from_numpy(ids)


# ---- allennlp/nn/util.py ----------------------------------------------------------------------------
def add_sentence_boundary_token_ids(tensor, mask, begin, end):
    lengths = mask.sum(dim=1).numpy()
    shape = list(tensor.shape)
    shape[1] += 2
    out = tensor.new_zeros(*shape)
    out[:, 1:-1, :] = tensor
    for i, j in enumerate(lengths):
        out[i, 0, :] = begin
        out[i, j + 1, :] = end
    return out, (out > 0).sum(dim=-1) > 0


def remove_sentence_boundaries(tensor, mask):
    lengths = mask.sum(dim=1).numpy()
    shape = list(tensor.shape)
    shape[1] -= 2
    out = tensor.new_zeros(*shape)
    new_mask = tensor.new_zeros((shape[0], shape[1]), dtype=torch.bool)
    for i, j in enumerate(lengths):
        if j > 2:
            out[i, : (j - 2), :] = tensor[i, 1 : (j - 1), :]
            new_mask[i, : (j - 2)] = True
    return out, new_mask


# ---- a random weights.hdf5 in AllenNLP's (bilm-tf's) layout --------------------------------------------
def write_weights(path, rng):
    cnn, lstm = OPTIONS["char_cnn"], OPTIONS["lstm"]
    dim, filters = cnn["embedding"]["dim"], sum(n for _, n in cnn["filters"])
    p, c = lstm["projection_dim"], lstm["dim"]

    def draw(*shape, scale=0.5):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    with h5py.File(path, "w") as f:
        f["char_embed"] = draw(cnn["n_characters"] - 1, dim, scale=1.0)
        for i, (width, count) in enumerate(cnn["filters"]):
            f[f"CNN/W_cnn_{i}"] = draw(1, width, dim, count)
            f[f"CNN/b_cnn_{i}"] = draw(count, scale=0.1)
        for k in range(cnn["n_highway"]):
            for name, shape in [("W_carry", (filters, filters)), ("W_transform", (filters, filters)),
                                ("b_carry", (filters,)), ("b_transform", (filters,))]:
                f[f"CNN_high_{k}/{name}"] = draw(*shape, scale=0.3)
        f["CNN_proj/W_proj"] = draw(filters, p, scale=0.3)
        f["CNN_proj/b_proj"] = draw(p, scale=0.1)
        for d in range(2):
            for k in range(lstm["n_layers"]):
                cell = f"RNN_{d}/RNN/MultiRNNCell/Cell{k}/LSTMCell/"
                # Large enough that both clips act (the script checks that they do).
                f[cell + "W_0"] = draw(2 * p, 4 * c, scale=0.8)
                f[cell + "B"] = draw(4 * c, scale=0.3)
                f[cell + "W_P_0"] = draw(c, p, scale=0.8)


# ---- allennlp/modules/elmo.py, _ElmoCharacterEncoder._load_* -----------------------------------------
class Highway(torch.nn.Module):
    def __init__(self, size, num_layers):
        super().__init__()
        self._layers = torch.nn.ModuleList([torch.nn.Linear(size, size * 2) for _ in range(num_layers)])

    def forward(self, x):
        current = x
        for layer in self._layers:
            nonlinear, gate = layer(current).chunk(2, dim=-1)
            gate = torch.sigmoid(gate)
            current = gate * current + (1 - gate) * torch.nn.functional.relu(nonlinear)
        return current


class CharacterEncoder(torch.nn.Module):
    def __init__(self, fin):
        super().__init__()
        cnn = OPTIONS["char_cnn"]
        char_embed = fin["char_embed"][...]
        weights = np.zeros((char_embed.shape[0] + 1, char_embed.shape[1]), dtype="float32")
        weights[1:, :] = char_embed
        self._char_embedding_weights = torch.nn.Parameter(torch.from_numpy(weights), requires_grad=False)
        for i, (width, num) in enumerate(cnn["filters"]):
            conv = torch.nn.Conv1d(cnn["embedding"]["dim"], num, kernel_size=width, bias=True)
            w = np.transpose(fin["CNN"][f"W_cnn_{i}"][...].squeeze(axis=0), axes=(2, 1, 0))
            assert w.shape == tuple(conv.weight.shape)
            conv.weight.data.copy_(torch.from_numpy(w))
            conv.bias.data.copy_(torch.from_numpy(fin["CNN"][f"b_cnn_{i}"][...]))
            self.add_module(f"char_conv_{i}", conv)
        filters = sum(f[1] for f in cnn["filters"])
        self._highways = Highway(filters, cnn["n_highway"])
        for k in range(cnn["n_highway"]):
            g = fin[f"CNN_high_{k}"]
            w_transform = np.transpose(g["W_transform"][...])
            w_carry = -1.0 * np.transpose(g["W_carry"][...])
            self._highways._layers[k].weight.data.copy_(torch.from_numpy(np.concatenate([w_transform, w_carry], 0)))
            b = np.concatenate([g["b_transform"][...], -1.0 * g["b_carry"][...]], axis=0)
            self._highways._layers[k].bias.data.copy_(torch.from_numpy(b))
        self._projection = torch.nn.Linear(filters, OPTIONS["lstm"]["projection_dim"], bias=True)
        self._projection.weight.data.copy_(torch.from_numpy(np.transpose(fin["CNN_proj"]["W_proj"][...])))
        self._projection.bias.data.copy_(torch.from_numpy(fin["CNN_proj"]["b_proj"][...]))
        self.num_filters = len(cnn["filters"])

    def forward(self, inputs):
        mask = (inputs > 0).sum(dim=-1) > 0
        ids, mask_with_bos_eos = add_sentence_boundary_token_ids(
            inputs, mask, torch.tensor(make_bos_eos(BOS_CHAR)) + 1, torch.tensor(make_bos_eos(EOS_CHAR)) + 1)
        chars = OPTIONS["char_cnn"]["max_characters_per_token"]
        embedded = torch.nn.functional.embedding(ids.view(-1, chars), self._char_embedding_weights)
        embedded = torch.transpose(embedded, 1, 2)
        convs = []
        for i in range(self.num_filters):
            convolved, _ = torch.max(getattr(self, f"char_conv_{i}")(embedded), dim=-1)
            convs.append(torch.nn.functional.relu(convolved))
        token_embedding = self._projection(self._highways(torch.cat(convs, dim=-1)))
        batch, steps, _ = ids.size()
        return ids, mask_with_bos_eos, token_embedding.view(batch, steps, -1)


# ---- allennlp/modules/lstm_cell_with_projection.py ---------------------------------------------------
class LstmCellWithProjection(torch.nn.Module):
    def __init__(self, input_size, hidden_size, cell_size, go_forward, memory_cell_clip_value,
                 state_projection_clip_value):
        super().__init__()
        self.input_size, self.hidden_size, self.cell_size = input_size, hidden_size, cell_size
        self.go_forward = go_forward
        self.state_projection_clip_value = state_projection_clip_value
        self.memory_cell_clip_value = memory_cell_clip_value
        self.input_linearity = torch.nn.Linear(input_size, 4 * cell_size, bias=False)
        self.state_linearity = torch.nn.Linear(hidden_size, 4 * cell_size, bias=True)
        self.state_projection = torch.nn.Linear(cell_size, hidden_size, bias=False)
        self.clips = [0, 0, 0]  # cell elements clipped, projections clipped, elements seen

    def forward(self, inputs, batch_lengths):
        batch_size, total_timesteps = inputs.size()[0], inputs.size()[1]
        output_accumulator = inputs.new_zeros(batch_size, total_timesteps, self.hidden_size)
        full_batch_previous_memory = inputs.new_zeros(batch_size, self.cell_size)
        full_batch_previous_state = inputs.new_zeros(batch_size, self.hidden_size)
        current_length_index = batch_size - 1 if self.go_forward else 0
        for timestep in range(total_timesteps):
            index = timestep if self.go_forward else total_timesteps - timestep - 1
            if self.go_forward:
                while batch_lengths[current_length_index] <= index:
                    current_length_index -= 1
            else:
                while (current_length_index < (len(batch_lengths) - 1)
                       and batch_lengths[current_length_index + 1] > index):
                    current_length_index += 1
            previous_memory = full_batch_previous_memory[0: current_length_index + 1].clone()
            previous_state = full_batch_previous_state[0: current_length_index + 1].clone()
            timestep_input = inputs[0: current_length_index + 1, index]
            projected_input = self.input_linearity(timestep_input)
            projected_state = self.state_linearity(previous_state)
            c = self.cell_size
            input_gate = torch.sigmoid(projected_input[:, 0:c] + projected_state[:, 0:c])
            forget_gate = torch.sigmoid(projected_input[:, c:2 * c] + projected_state[:, c:2 * c])
            memory_init = torch.tanh(projected_input[:, 2 * c:3 * c] + projected_state[:, 2 * c:3 * c])
            output_gate = torch.sigmoid(projected_input[:, 3 * c:4 * c] + projected_state[:, 3 * c:4 * c])
            memory = input_gate * memory_init + forget_gate * previous_memory
            if self.memory_cell_clip_value:
                self.clips[0] += int((memory.abs() > self.memory_cell_clip_value).sum())
                memory = torch.clamp(memory, -self.memory_cell_clip_value, self.memory_cell_clip_value)
            timestep_output = self.state_projection(output_gate * torch.tanh(memory))
            if self.state_projection_clip_value:
                self.clips[1] += int((timestep_output.abs() > self.state_projection_clip_value).sum())
                timestep_output = torch.clamp(timestep_output, -self.state_projection_clip_value,
                                              self.state_projection_clip_value)
            self.clips[2] += timestep_output.numel()
            full_batch_previous_memory = full_batch_previous_memory.clone()
            full_batch_previous_state = full_batch_previous_state.clone()
            full_batch_previous_memory[0: current_length_index + 1] = memory
            full_batch_previous_state[0: current_length_index + 1] = timestep_output
            output_accumulator[0: current_length_index + 1, index] = timestep_output
        return output_accumulator


# ---- allennlp/modules/elmo_lstm.py (ElmoLstm.load_weights, _lstm_forward; _EncoderBase's sorting) ----
class ElmoLstm(torch.nn.Module):
    def __init__(self, fin):
        super().__init__()
        lstm = OPTIONS["lstm"]
        p, c = lstm["projection_dim"], lstm["dim"]
        self.num_layers = lstm["n_layers"]
        for k in range(self.num_layers):
            for direction, go_forward in [(0, True), (1, False)]:
                layer = LstmCellWithProjection(p, p, c, go_forward, lstm["cell_clip"], lstm["proj_clip"])
                dataset = fin[f"RNN_{direction}"]["RNN"]["MultiRNNCell"][f"Cell{k}"]["LSTMCell"]
                tf_weights = np.transpose(dataset["W_0"][...])
                torch_weights = tf_weights.copy()
                input_weights, recurrent_weights = torch_weights[:, :p], torch_weights[:, p:]
                tf_input_weights, tf_recurrent_weights = tf_weights[:, :p], tf_weights[:, p:]
                for torch_w, tf_w in [[input_weights, tf_input_weights], [recurrent_weights, tf_recurrent_weights]]:
                    torch_w[(1 * c):(2 * c), :] = tf_w[(2 * c):(3 * c), :]
                    torch_w[(2 * c):(3 * c), :] = tf_w[(1 * c):(2 * c), :]
                layer.input_linearity.weight.data.copy_(torch.from_numpy(input_weights))
                layer.state_linearity.weight.data.copy_(torch.from_numpy(recurrent_weights))
                tf_bias = dataset["B"][...]
                tf_bias[(2 * c):(3 * c)] += 1
                torch_bias = tf_bias.copy()
                torch_bias[(1 * c):(2 * c)] = tf_bias[(2 * c):(3 * c)]
                torch_bias[(2 * c):(3 * c)] = tf_bias[(1 * c):(2 * c)]
                layer.state_linearity.bias.data.copy_(torch.from_numpy(torch_bias))
                layer.state_projection.weight.data.copy_(torch.from_numpy(np.transpose(dataset["W_P_0"][...])))
                self.add_module(f"{'forward' if go_forward else 'backward'}_layer_{k}", layer)

    def forward(self, inputs, mask):
        # _EncoderBase.sort_and_run_forward: longest first, as LstmCellWithProjection requires.
        lengths = mask.sum(-1)
        sorted_lengths, permutation = lengths.sort(0, descending=True)
        restoration = permutation.sort(0)[1]
        sorted_inputs = inputs.index_select(0, permutation)
        batch_lengths = sorted_lengths.tolist()
        steps = max(batch_lengths)
        forward_sequence = backward_sequence = sorted_inputs[:, :steps]
        outputs = []
        for k in range(self.num_layers):
            forward_cache, backward_cache = forward_sequence, backward_sequence
            forward_sequence = getattr(self, f"forward_layer_{k}")(forward_sequence, batch_lengths)
            backward_sequence = getattr(self, f"backward_layer_{k}")(backward_sequence, batch_lengths)
            if k != 0:
                forward_sequence = forward_sequence + forward_cache
                backward_sequence = backward_sequence + backward_cache
            outputs.append(torch.cat([forward_sequence, backward_sequence], -1))
        stacked = torch.stack(outputs)
        if steps < inputs.size(1):
            stacked = torch.cat([stacked, stacked.new_zeros(stacked.size(0), stacked.size(1),
                                                            inputs.size(1) - steps, stacked.size(3))], 2)
        return stacked.index_select(1, restoration)


# ---- allennlp/modules/scalar_mix.py --------------------------------------------------------------------
class ScalarMix(torch.nn.Module):
    def __init__(self, mixture_size, do_layer_norm):
        super().__init__()
        self.do_layer_norm = do_layer_norm
        self.scalar_parameters = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.tensor([w], dtype=torch.float64)) for w in SCALAR_PARAMETERS[:mixture_size]])
        self.gamma = torch.nn.Parameter(torch.tensor([GAMMA], dtype=torch.float64))

    def forward(self, tensors, mask):
        def _do_layer_norm(tensor, broadcast_mask, num_elements_not_masked):
            tensor_masked = tensor * broadcast_mask
            mean = torch.sum(tensor_masked) / num_elements_not_masked
            variance = torch.sum(((tensor_masked - mean) * broadcast_mask) ** 2) / num_elements_not_masked
            return (tensor - mean) / torch.sqrt(variance + 1e-13)

        weights = torch.split(torch.nn.functional.softmax(torch.cat(list(self.scalar_parameters)), dim=0), 1)
        if not self.do_layer_norm:
            return self.gamma * sum(w * t for w, t in zip(weights, tensors))
        broadcast_mask = mask.unsqueeze(-1)
        num_elements_not_masked = torch.sum(mask) * tensors[0].size(-1)
        return self.gamma * sum(w * _do_layer_norm(t, broadcast_mask, num_elements_not_masked)
                                for w, t in zip(weights, tensors))


class Elmo(torch.nn.Module):
    """allennlp.modules.Elmo: _ElmoBiLm (the encoder and the stacks) and one scalar mix, eval mode."""

    def __init__(self, weights_path):
        super().__init__()
        self._elmo_lstm = torch.nn.Module()
        with h5py.File(weights_path, "r") as fin:
            self._elmo_lstm._token_embedder = CharacterEncoder(fin)
            self._elmo_lstm._elmo_lstm = ElmoLstm(fin)
        self.scalar_mix_0 = ScalarMix(OPTIONS["lstm"]["n_layers"] + 1, do_layer_norm=False)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    weights_path = os.path.join(out_dir, "small_weights.hdf5")
    with open(os.path.join(out_dir, "small_options.json"), "w") as f:
        json.dump(OPTIONS, f)
        f.write("\n")
    write_weights(weights_path, rng)

    elmo = Elmo(weights_path).double()
    encoder, lstm = elmo._elmo_lstm._token_embedder, elmo._elmo_lstm._elmo_lstm
    inputs = batch_to_ids(SENTENCES)
    ids, mask, tokens = encoder(inputs)
    stacked = lstm(tokens, mask)
    activations = [torch.cat([tokens, tokens], dim=-1) * mask.unsqueeze(-1)] + [stacked[k] for k in range(stacked.size(0))]
    mixed = elmo.scalar_mix_0(activations, mask)
    representation, elmo_mask = remove_sentence_boundaries(mixed, mask)
    mix_ln = ScalarMix(len(activations), do_layer_norm=True).double()
    layer_normed = mix_ln(activations, mask)

    clips = np.sum([layer.clips for layer in lstm.children()], axis=0)
    assert clips[0] > 0 and clips[1] > 0 and clips[0] < clips[2] and clips[1] < clips[2], f"clips {clips}"
    print(f"  {clips[0]} cell and {clips[1]} projection elements clipped of {clips[2]} outputs")

    dy = torch.randn(representation.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    (representation * dy).sum().backward()
    arrays = {f"state.{k}": v.detach().numpy() for k, v in elmo.state_dict().items()}
    arrays.update({f"grad.{k}": v.grad.numpy() for k, v in elmo.scalar_mix_0.named_parameters()})
    arrays.update({"ids": ids.numpy(), "mask": mask.numpy().astype(np.int64), "token_embedding": tokens.detach().numpy(),
                   "representation": representation.detach().numpy(), "elmo_mask": elmo_mask.numpy().astype(np.int64),
                   "layer_normed": layer_normed.detach().numpy(), "dy": dy.numpy()})
    for k, a in enumerate(activations):
        arrays[f"activations.{k}"] = a.detach().numpy()
    np.savez_compressed(os.path.join(out_dir, "reference.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/data/elmo"))
