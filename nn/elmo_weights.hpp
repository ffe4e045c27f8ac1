#pragma once
// AllenNLP's ELMo weight files (weights.hdf5 beside options.json, trained with TensorFlow's bilm-tf),
// read with the HDF5 C library: an optional component (see elmo_hdf5_available).
#include "nn/elmo_bilm.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace tg::nn {

/// Whether this build of tapegrad reads .hdf5 files (it was built with libhdf5-dev). Without it,
/// the loaders below throw IoError saying so; everything else works.
bool elmo_hdf5_available();

/// Copies AllenNLP's weights.hdf5 into a biLM built from the same options.json, converting as
/// AllenNLP's elmo.py and elmo_lstm.py do: TensorFlow's (in, out) matrices transposed, the CNN
/// filters (1, width, dim, count) to (count, dim, width), the highway carry gate negated (TF's
/// gate multiplies f(x), AllenNLP's the input), the LSTM gates reordered from TF's i, j, f, o to
/// i, f, j, o with 1 added to the forget bias (TF adds it at run time), W_0 split into the input and
/// recurrent halves. A missing dataset, a shape that disagrees with the options (expected and found
/// shapes named), an extra filter or layer in the file, or a file that is not HDF5 throws IoError
/// naming the file and the dataset. The softmax, if any, is left alone (the files have none).
///
///     auto bilm = std::make_shared<tg::nn::ElmoBiLm>(tg::nn::elmo_options_from_json("options.json"));
///     tg::nn::load_allennlp_weights(*bilm, "weights.hdf5");
void load_allennlp_weights(ElmoBiLm& bilm, const std::string& weights_path);

/// load_allennlp_weights on a file already in memory; `name` stands for the file in errors. The
/// entry point for fuzzing (HDF5 resolves a file's real path, which a memfd does not have).
void load_allennlp_weights_bytes(ElmoBiLm& bilm, std::string_view bytes, const std::string& name = "<memory>");

/// options.json + weights.hdf5 -> a biLM without softmax, its character table sized by the file.
///
///     auto elmo = std::make_shared<tg::nn::Elmo>(tg::nn::load_allennlp_elmo(
///         "elmo_2x1024_128_2048cnn_1xhighway_options.json", "elmo_2x1024_128_2048cnn_1xhighway_weights.hdf5"));
std::shared_ptr<ElmoBiLm> load_allennlp_elmo(const std::string& options_path, const std::string& weights_path);

}  // namespace tg::nn
