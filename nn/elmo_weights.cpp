#include "nn/elmo_weights.hpp"

#include "autograd/ops.hpp"

#ifdef TAPEGRAD_HAVE_HDF5
#include <hdf5.h>
#endif

namespace tg::nn {

#ifndef TAPEGRAD_HAVE_HDF5

bool elmo_hdf5_available() { return false; }

namespace {
[[noreturn]] void no_hdf5(const std::string& path) {
  fail<IoError>("load_allennlp_weights({}): this tapegrad was built without HDF5; install libhdf5-dev "
                "(scripts/setup.sh) and build again to read ELMo weight files", path);
}
}  // namespace

void load_allennlp_weights(ElmoBiLm&, const std::string& weights_path) { no_hdf5(weights_path); }
void load_allennlp_weights_bytes(ElmoBiLm&, std::string_view, const std::string& name) { no_hdf5(name); }
std::shared_ptr<ElmoBiLm> load_allennlp_elmo(const std::string&, const std::string& weights_path) {
  no_hdf5(weights_path);
}

#else

bool elmo_hdf5_available() { return true; }

namespace {

// One open weights.hdf5; every error names it and the dataset.
class WeightFile {
 public:
  explicit WeightFile(std::string path) : path_(std::move(path)) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // our messages, not HDF5's stack dumps on stderr
    if (H5Fis_hdf5(path_.c_str()) <= 0) fail<IoError>("load_allennlp_weights({}): not an HDF5 file (or unreadable)", path_);
    file_ = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file_ < 0) fail<IoError>("load_allennlp_weights({}): cannot open the file", path_);
  }
  /// A file image in memory (HDF5's core driver); `name` stands for the file in errors.
  WeightFile(std::string_view bytes, std::string name) : path_(std::move(name)) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(access, 1 << 16, false);
    // HDF5 copies the image; an empty one is refused by H5Pset_file_image, so it is not set.
    if (!bytes.empty()) H5Pset_file_image(access, const_cast<char*>(bytes.data()), bytes.size());
    file_ = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, access);
    H5Pclose(access);
    if (file_ < 0) fail<IoError>("load_allennlp_weights({}): cannot open the file (not HDF5, or damaged)", path_);
  }
  ~WeightFile() { H5Fclose(file_); }
  WeightFile(const WeightFile&) = delete;
  WeightFile& operator=(const WeightFile&) = delete;

  bool has(const std::string& name) const {
    // H5Lexists needs every group on the way to exist.
    for (std::size_t slash = name.find('/'); ; slash = name.find('/', slash + 1)) {
      if (H5Lexists(file_, name.substr(0, slash).c_str(), H5P_DEFAULT) <= 0) return false;
      if (slash == std::string::npos) return true;
    }
  }

  /// The dataset `name` as float64, which must have shape `expected` ("why" says where it comes from).
  xt::xarray<double> read(const std::string& name, const Shape& expected, const std::string& why) const {
    if (!has(name)) fail<IoError>("load_allennlp_weights({}): no dataset {} ({})", path_, name, why);
    const hid_t dataset = H5Dopen2(file_, name.c_str(), H5P_DEFAULT);
    if (dataset < 0) fail<IoError>("load_allennlp_weights({}): {} is not a dataset", path_, name);
    const hid_t space = H5Dget_space(dataset);
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(rank > 0 ? rank : 0);
    if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    H5Sclose(space);
    const Shape found(dims.begin(), dims.end());
    if (rank < 0 || found != expected) {
      H5Dclose(dataset);
      fail<IoError>("load_allennlp_weights({}): dataset {} has shape {}, expected {} ({})", path_, name,
                    shape_str(found), shape_str(expected), why);
    }
    xt::xarray<double> values = xt::zeros<double>(expected);
    const herr_t status = H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(dataset);
    if (status < 0) fail<IoError>("load_allennlp_weights({}): cannot read dataset {} as numbers", path_, name);
    return values;
  }

  /// The rows of char_embed, which size the character table.
  std::size_t characters() const {
    if (!has("char_embed")) fail<IoError>("load_allennlp_weights({}): no dataset char_embed", path_);
    const hid_t dataset = H5Dopen2(file_, "char_embed", H5P_DEFAULT);
    const hid_t space = H5Dget_space(dataset);
    hsize_t dims[2] = {0, 0};
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank == 2) H5Sget_simple_extent_dims(space, dims, nullptr);
    H5Sclose(space);
    H5Dclose(dataset);
    if (rank != 2) fail<IoError>("load_allennlp_weights({}): dataset char_embed must be 2-D, found {}-D", path_, rank);
    return dims[0];
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  hid_t file_ = -1;
};

using Array = xt::xarray<double>;

// TF's LSTM gate blocks i, j, f, o (rows of the transposed matrix) -> PyTorch's i, f, j, o.
Array tf_gates_to_torch(const Array& tf, std::size_t cell) {
  Array torch = tf;
  xt::view(torch, xt::range(cell, 2 * cell)) = xt::view(tf, xt::range(2 * cell, 3 * cell));
  xt::view(torch, xt::range(2 * cell, 3 * cell)) = xt::view(tf, xt::range(cell, 2 * cell));
  return torch;
}

void assign(const Tensor& target, const Array& values) {
  visit_dtype(target.dtype(), [&]<class T>() { target.data<T>() = xt::cast<T>(values); });
}

}  // namespace

namespace {

void load_from(const WeightFile& file, ElmoBiLm& bilm) {
  const ElmoCharEncoderOptions& cnn = bilm.options.char_cnn;
  const ElmoLstmOptions& lstm = bilm.options.lstm;
  const std::size_t dim = cnn.embedding_dim_, filters = cnn.n_filters(), p = lstm.projection_dim_, c = lstm.dim_;
  // Everything is read and checked before anything is assigned: a bad file leaves the model as it was.
  std::vector<std::pair<Tensor, Array>> loads;

  ElmoCharacterEncoder& encoder = *bilm.token_embedder;
  const std::size_t rows = encoder.char_embedding.shape()[0] - 1;  // row 0 is the mask's, not in the file
  Array chars = xt::zeros<double>({rows + 1, dim});
  xt::view(chars, xt::range(1, rows + 1)) =
      file.read("char_embed", {rows, dim}, fmt::format("{} characters of embedding dim {}", rows, dim));
  loads.emplace_back(encoder.char_embedding, std::move(chars));

  for (std::size_t i = 0; i < cnn.filters_.size(); ++i) {
    const auto [width, count] = cnn.filters_[i];
    const std::string why = fmt::format("char_cnn.filters[{}] = [{}, {}] over {}-dim characters", i, width, count, dim);
    Array w = file.read(fmt::format("CNN/W_cnn_{}", i), {1, width, dim, count}, why);  // TF: (1, width, in, out)
    loads.emplace_back(encoder.convolutions[i]->weight, xt::transpose(xt::view(w, 0), {2, 1, 0}));
    loads.emplace_back(encoder.convolutions[i]->bias, file.read(fmt::format("CNN/b_cnn_{}", i), {count}, why));
  }
  if (file.has(fmt::format("CNN/W_cnn_{}", cnn.filters_.size())))
    fail<IoError>("load_allennlp_weights({}): the file has CNN/W_cnn_{}, but options.json lists {} filters", file.path(),
                  cnn.filters_.size(), cnn.filters_.size());

  for (std::size_t k = 0; k < cnn.n_highway_; ++k) {
    const std::string group = fmt::format("CNN_high_{}/", k), why = fmt::format("highway layer {} of {}", k, filters);
    auto layer = encoder.highways->layers->at<Linear>(k);
    // AllenNLP's gate multiplies the carried input, TF's the transform: sigmoid(-z) = 1 - sigmoid(z).
    Array weight = xt::concatenate(xt::xtuple(xt::transpose(file.read(group + "W_transform", {filters, filters}, why)),
                                              -xt::transpose(file.read(group + "W_carry", {filters, filters}, why))));
    Array bias = xt::concatenate(xt::xtuple(file.read(group + "b_transform", {filters}, why),
                                            -file.read(group + "b_carry", {filters}, why)));
    loads.emplace_back(layer->weight, std::move(weight));
    loads.emplace_back(layer->bias, std::move(bias));
  }
  if (file.has(fmt::format("CNN_high_{}", cnn.n_highway_)))
    fail<IoError>("load_allennlp_weights({}): the file has CNN_high_{}, but options.json has n_highway {}", file.path(),
                  cnn.n_highway_, cnn.n_highway_);

  const std::string projection_why = fmt::format("{} filters projected to {}", filters, p);
  loads.emplace_back(encoder.projection->weight, xt::transpose(file.read("CNN_proj/W_proj", {filters, p}, projection_why)));
  loads.emplace_back(encoder.projection->bias, file.read("CNN_proj/b_proj", {p}, projection_why));

  for (std::size_t direction = 0; direction < 2; ++direction) {
    for (std::size_t k = 0; k < lstm.n_layers_; ++k) {
      const auto& layer = (direction == 0 ? bilm.elmo_lstm->forward_layers : bilm.elmo_lstm->backward_layers)[k];
      const std::string cell = fmt::format("RNN_{}/RNN/MultiRNNCell/Cell{}/LSTMCell/", direction, k);
      const std::string why = fmt::format("lstm layer {}: input {}, cell {}, projection {}", k, p, c, p);
      // W_0 is TF's (input + projection, 4 cells) for [x, h] -> gates.
      Array w = tf_gates_to_torch(xt::transpose(file.read(cell + "W_0", {2 * p, 4 * c}, why)), c);
      loads.emplace_back(layer->input_linearity->weight, xt::view(w, xt::all(), xt::range(0, p)));
      loads.emplace_back(layer->state_linearity->weight, xt::view(w, xt::all(), xt::range(p, 2 * p)));
      Array b = file.read(cell + "B", {4 * c}, why);
      xt::view(b, xt::range(2 * c, 3 * c)) += 1.0;  // TF's forget_bias, added at run time there
      loads.emplace_back(layer->state_linearity->bias, tf_gates_to_torch(b, c));
      loads.emplace_back(layer->state_projection->weight, xt::transpose(file.read(cell + "W_P_0", {c, p}, why)));
    }
    if (file.has(fmt::format("RNN_{}/RNN/MultiRNNCell/Cell{}", direction, lstm.n_layers_)))
      fail<IoError>("load_allennlp_weights({}): the file has RNN_{}/RNN/MultiRNNCell/Cell{}, but options.json has "
                    "n_layers {}", file.path(), direction, lstm.n_layers_, lstm.n_layers_);
  }
  for (const auto& [tensor, values] : loads) assign(tensor, values);
}

}  // namespace

void load_allennlp_weights(ElmoBiLm& bilm, const std::string& weights_path) { load_from(WeightFile(weights_path), bilm); }

void load_allennlp_weights_bytes(ElmoBiLm& bilm, std::string_view bytes, const std::string& name) {
  load_from(WeightFile(bytes, name), bilm);
}

std::shared_ptr<ElmoBiLm> load_allennlp_elmo(const std::string& options_path, const std::string& weights_path) {
  ElmoOptions options = elmo_options_from_json(options_path);
  options.vocab_size_ = 0;
  // The character table is the file's rows plus the mask's row 0, whatever n_characters says (as AllenNLP).
  options.char_cnn.n_characters_ = WeightFile(weights_path).characters() + 1;
  auto bilm = std::make_shared<ElmoBiLm>(options);
  load_allennlp_weights(*bilm, weights_path);
  return bilm;
}

#endif

}  // namespace tg::nn
