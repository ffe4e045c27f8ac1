#include "nn/elmo_options.hpp"

#include "autograd/error.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace tg::nn {

namespace {

using nlohmann::json;

// Reads the keys of one options.json, each error naming the file and the key's path.
struct Reader {
  const std::string& source;

  [[noreturn]] void bad(const std::string& key, const std::string& why) const {
    fail<IoError>("elmo_options_from_json({}): {} {}", source, key, why);
  }
  const json& at(const json& object, const std::string& path, const char* key) const {
    if (!object.is_object() || !object.contains(key)) bad(path + key, "is missing");
    return object.at(key);
  }
  std::size_t count(const json& value, const std::string& key, std::size_t min = 1) const {
    if (!value.is_number_integer() || value.get<long long>() < static_cast<long long>(min))
      bad(key, fmt::format("must be an integer >= {}, found {}", min, value.dump()));
    return value.get<std::size_t>();
  }
  std::size_t count(const json& object, const std::string& path, const char* key, std::size_t min = 1) const {
    return count(at(object, path, key), path + key, min);
  }
  // A clip value: a number >= 0, or null for none (AllenNLP clips only when the value is truthy).
  double clip(const json& object, const std::string& path, const char* key) const {
    const json& value = at(object, path, key);
    if (value.is_null()) return 0;
    if (!value.is_number() || value.get<double>() < 0)
      bad(path + key, fmt::format("must be a number >= 0 or null, found {}", value.dump()));
    return value.get<double>();
  }
};

}  // namespace

ElmoOptions elmo_options_from_json_text(std::string_view text, const std::string& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse errors, and numbers out of range (1e400)
    fail<IoError>("elmo_options_from_json({}): not valid JSON: {}", source, e.what());
  }
  const Reader r{source};
  ElmoOptions o;
  const json& lstm = r.at(root, "", "lstm");
  o.lstm.dim_ = r.count(lstm, "lstm.", "dim");
  o.lstm.projection_dim_ = r.count(lstm, "lstm.", "projection_dim");
  o.lstm.n_layers_ = r.count(lstm, "lstm.", "n_layers");
  o.lstm.cell_clip_ = r.clip(lstm, "lstm.", "cell_clip");
  o.lstm.proj_clip_ = r.clip(lstm, "lstm.", "proj_clip");
  if (lstm.contains("use_skip_connections")) {
    const json& skip = lstm.at("use_skip_connections");
    if (!skip.is_boolean()) r.bad("lstm.use_skip_connections", "must be true or false, found " + skip.dump());
    o.lstm.use_skip_connections_ = skip.get<bool>();
  } else {
    o.lstm.use_skip_connections_ = false;  // AllenNLP reads a missing key as false
  }

  const json& cnn = r.at(root, "", "char_cnn");
  ElmoCharEncoderOptions& c = o.char_cnn;
  c.embedding_dim_ = r.count(r.at(cnn, "char_cnn.", "embedding"), "char_cnn.embedding.", "dim");
  c.n_highway_ = r.count(cnn, "char_cnn.", "n_highway", 0);
  c.max_characters_per_token_ = r.count(cnn, "char_cnn.", "max_characters_per_token");
  if (cnn.contains("n_characters")) c.n_characters_ = r.count(cnn, "char_cnn.", "n_characters", 2);
  const json& activation = r.at(cnn, "char_cnn.", "activation");
  if (activation == "relu") c.activation_ = ElmoActivation::Relu;
  else if (activation == "tanh") c.activation_ = ElmoActivation::Tanh;
  else r.bad("char_cnn.activation", "must be \"relu\" or \"tanh\", found " + activation.dump());
  const json& filters = r.at(cnn, "char_cnn.", "filters");
  if (!filters.is_array() || filters.empty()) r.bad("char_cnn.filters", "must be a non-empty list of [width, count]");
  c.filters_.clear();
  for (std::size_t i = 0; i < filters.size(); ++i) {
    const std::string key = fmt::format("char_cnn.filters[{}]", i);
    if (!filters[i].is_array() || filters[i].size() != 2)
      r.bad(key, "must be [width, count], found " + filters[i].dump());
    c.filters_.emplace_back(r.count(filters[i][0], key + "[0]"), r.count(filters[i][1], key + "[1]"));
  }
  // The token vectors are the LSTMs' input, as wide as their projection (AllenNLP's output_dim).
  c.projection_dim_ = o.lstm.projection_dim_;
  return o;
}

ElmoOptions elmo_options_from_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail<IoError>("elmo_options_from_json({}): cannot open the file", path);
  std::stringstream text;
  text << in.rdbuf();
  return elmo_options_from_json_text(text.str(), path);
}

}  // namespace tg::nn
