#include "char_lm/char_lm.hpp"

#include <tapegrad.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

namespace tg::examples::char_lm {

namespace {

template <class Options>
Options recurrent_options(std::size_t input_size, const ModelOptions& o) {
  return Options(input_size, o.hidden).num_layers(o.layers).dropout(o.dropout);
}

// Gate blocks per recurrent cell: the rows of weight_ih are gates x hidden.
std::size_t gates(const std::string& model) {
  if (model == "rnn") return 1;
  if (model == "gru") return 3;
  if (model == "lstm") return 4;
  fail<ValueError>("CharLM: unknown model '{}' (expected rnn, gru or lstm)", model);
}

std::shared_ptr<nn::RecurrentLayer> make_rnn(std::size_t input_size, const ModelOptions& o) {
  gates(o.model);  // names an unknown model
  if (o.model == "rnn") return std::make_shared<nn::RNN>(recurrent_options<nn::RNNOptions>(input_size, o));
  if (o.model == "gru") return std::make_shared<nn::GRU>(recurrent_options<nn::GRUOptions>(input_size, o));
  return std::make_shared<nn::LSTM>(recurrent_options<nn::LSTMOptions>(input_size, o));
}

nn::RecurrentState detached(const nn::RecurrentState& s) {
  return {s.h.defined() ? s.h.detach() : s.h, s.c.defined() ? s.c.detach() : s.c};
}

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name, CharLM& model, double lr) {
  if (name == "adam") return std::make_unique<optim::Adam>(model.named_parameters(), optim::AdamOptions(lr));
  if (name == "sgd") return std::make_unique<optim::SGD>(model.named_parameters(), optim::SGDOptions(lr));
  fail<ValueError>("Trainer: unknown optimizer '{}' (expected sgd or adam)", name);
}

std::string bytes_str(double bytes) {
  const char* units[] = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB"};
  std::size_t u = 0;
  for (; bytes >= 1000 && u + 1 < std::size(units); ++u) bytes /= 1000;
  return fmt::format("{:.3g} {}", bytes, units[u]);
}

}  // namespace

double parameter_count(std::size_t vocab_size, const ModelOptions& o) {
  const auto V = static_cast<double>(vocab_size), E = static_cast<double>(o.embed), H = static_cast<double>(o.hidden);
  const auto G = static_cast<double>(gates(o.model));
  const double input = o.embed ? E : V;
  // weight_ih, weight_hh, bias_ih, bias_hh per layer; layers above the first read H features.
  const double recurrent = G * H * (input + H + 2) + (static_cast<double>(o.layers) - 1) * G * H * (2 * H + 2);
  return V * E + recurrent + (H + 1) * V;
}

void check_fits_in_memory(std::size_t vocab_size, const ModelOptions& o, const std::string& optimizer) {
  const double params = parameter_count(vocab_size, o);
  // float32 weights and gradients, and Adam's two moments.
  const double bytes = params * sizeof(float) * (optimizer == "adam" ? 4 : 2);
  const double memory = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  if (bytes > memory)
    fail<ValueError>("CharLM: {}, hidden {}, layers {}: {:.3g} parameters would need {} for weights, gradients and "
                     "{} state, more than the {} of memory here; lower the hidden size or the layers",
                     o.model, o.hidden, o.layers, params, bytes_str(bytes), optimizer, bytes_str(memory));
}

CharLM::CharLM(std::size_t vocab_size, const ModelOptions& options)
    : Module("CharLM"), vocab_size_(vocab_size), options_(options) {
  if (vocab_size == 0) fail<ValueError>("CharLM: empty vocabulary");
  if (options.embed) embedding = register_module("embedding", std::make_shared<nn::Embedding>(vocab_size, options.embed));
  rnn = register_module("rnn", make_rnn(options.embed ? options.embed : vocab_size, options));
  head = register_module("head", std::make_shared<nn::Linear>(options.hidden, vocab_size));
}

std::pair<Tensor, nn::RecurrentState> CharLM::forward(const IndexArray& ids, const nn::RecurrentState& state) {
  auto scope = record_scope();
  const Tensor input = embedding ? embedding->forward(ids) : one_hot(ids, vocab_size_, head->weight.dtype());
  auto out = rnn->forward(input, state);
  return {head->forward(out.output), {out.h_n, out.c_n}};
}

std::pair<Tensor, nn::RecurrentState> CharLM::forward(const data::LmBatch& batch, const nn::RecurrentState& state) {
  if (batch.layout != data::Layout::TimeMajor)
    fail<ShapeError>("CharLM: batch of shape {} is batch-major (N, L), but the model reads time-major (L, N) ids; "
                     "build the batches with Layout::TimeMajor (the default)", shape_str(batch.X.shape()));
  return forward(batch.X, state);
}

std::string CharLM::extra_repr() const {
  return fmt::format("vocab={}, input={}", vocab_size_, options_.embed ? "embedding" : "one-hot");
}

Tensor one_hot(const IndexArray& ids, std::size_t num_classes, Dtype dtype) {
  return visit_dtype(dtype, [&]<class T>() {
    auto shape = std::vector<std::size_t>(ids.shape().begin(), ids.shape().end());
    shape.push_back(num_classes);
    xt::xarray<T> out = xt::zeros<T>(shape);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const Index id = ids.flat(i);
      if (id < 0 || static_cast<std::size_t>(id) >= num_classes)
        fail<ValueError>("one_hot: id {} at flat position {} is outside [0, {})", id, i, num_classes);
      out.flat(i * num_classes + static_cast<std::size_t>(id)) = T(1);
    }
    return from_array(std::move(out));
  });
}

std::string generated_text(std::uint64_t seed, std::size_t chars) {
  const std::vector<std::string> subjects{"the cat", "a dog", "the old man", "my sister", "a bird"},
      verbs{"sees", "likes", "finds", "follows", "hears"},
      objects{"the river.", "a red ball.", "the moon.", "an apple.", "the long road."};
  Generator g(seed);
  std::string text;
  while (text.size() < chars)
    text += subjects[g.below(5)] + " " + verbs[g.below(5)] + " " + objects[g.below(5)] + (g.below(4) ? " " : "\n");
  return text;
}

CharCorpus char_corpus(std::string_view text, data::Normalizer normalizer, std::size_t max_chars,
                       std::optional<data::Vocab> vocab) {
  std::vector<std::string> tokens = data::Tokenizer(data::TokenLevel::Char, normalizer).tokenize(text);
  CharCorpus corpus{vocab ? std::move(*vocab) : data::Vocab(tokens), {}};
  if (max_chars && tokens.size() > max_chars) tokens.resize(max_chars);
  corpus.ids = corpus.vocab.encode(tokens);
  return corpus;
}

const std::vector<std::pair<std::string, data::Normalizer>>& normalizer_names() {
  static const std::vector<std::pair<std::string, data::Normalizer>> names{
      {"keep", data::Normalizer::Keep}, {"lower", data::Normalizer::Lower}, {"d2l", data::Normalizer::TimeMachine}};
  return names;
}

double evaluate(CharLM& model, const std::vector<Index>& ids, std::size_t batch_size, std::size_t num_steps) {
  auto options = data::LmBatchOptions().batch_size(batch_size).num_steps(num_steps).sampling(data::Sampling::Sequential);
  if (ids.size() < data::LmBatchIterator::min_tokens(options)) return NAN;
  NoGradGuard no_grad;
  model.eval();
  data::LmBatchIterator it(ids, options);
  nn::RecurrentState state;
  double total = 0;
  std::size_t count = 0;
  for (data::LmBatch b; it.next(b); ++count) {
    auto [logits, next] = model.forward(b, state);
    state = next;
    total += cross_entropy(logits, b.Y).item();
  }
  model.train();
  return count ? total / static_cast<double>(count) : NAN;
}

std::string sample(CharLM& model, const data::Vocab& vocab, const std::string& prompt, std::size_t n,
                   double temperature, Generator& generator) {
  NoGradGuard no_grad;
  model.eval();
  data::Tokenizer chars(data::TokenLevel::Char);
  std::vector<Index> ids = vocab.encode(chars.tokenize(prompt.empty() ? " " : prompt));
  nn::RecurrentState state;
  IndexArray input = IndexArray::from_shape({ids.size(), 1});
  std::copy(ids.begin(), ids.end(), input.begin());
  std::string out = prompt;
  for (std::size_t i = 0; i < n; ++i) {
    auto [logits, next] = model.forward(input, state);
    state = next;
    const xt::xarray<double> all = visit_dtype(logits.dtype(), [&]<class T>() {
      return xt::xarray<double>(xt::cast<double>(logits.data<T>()));
    });
    xt::xarray<double> last = xt::view(all, all.shape(0) - 1, 0, xt::all());
    std::size_t choice = 0;
    if (temperature <= 0) {
      choice = static_cast<std::size_t>(xt::argmax(last)());
    } else {
      xt::xarray<double> p = xt::exp((last - xt::amax(last)()) / temperature);
      double u = generator.uniform() * xt::sum(p)();
      while (choice + 1 < p.size() && (u -= p(choice)) > 0) ++choice;
    }
    out += vocab.token(static_cast<Index>(choice));
    input = IndexArray::from_shape({1, 1});
    input(0, 0) = static_cast<Index>(choice);
  }
  model.train();
  return out;
}

Trainer::Trainer(std::shared_ptr<CharLM> model, std::vector<Index> train_ids, const TrainerOptions& options,
                 std::shared_ptr<Replicas> replicas)
    : model_(std::move(model)),
      replicas_(std::move(replicas)),
      optimizer_(make_optimizer(options.optimizer, *model_, options.lr)),
      options_(options),
      batches_(std::move(train_ids), data::LmBatchOptions().batch_size(options.batch_size).num_steps(options.num_steps)
                                         .sampling(options.sampling).seed(options.seed)),
      sample_generator_(options.seed + 1) {
  const int rank = replicas_->rank(), size = replicas_->size();
  if (options.batch_size < static_cast<std::size_t>(size))
    fail<ValueError>("Trainer: a batch of {} rows cannot be shared by {} processes; give --batch-size at least {}",
                     options.batch_size, size, size);
  const data::Shard mine = data::shard(options.batch_size, rank, size);
  share_begin_ = mine.begin, share_end_ = mine.end;
  replicas_->attach(model_->named_parameters());
  // Dropout masks differ between replicas (they draw for other rows); rank 0 keeps the stream of a
  // single-process run.
  if (rank > 0) manual_seed(options.seed * 1000003 + static_cast<std::uint64_t>(rank));
}

data::LmBatch Trainer::my_share(const data::LmBatch& b) const {
  if (replicas_->size() == 1) return b;
  return {xt::view(b.X, xt::all(), xt::range(share_begin_, share_end_)),
          xt::view(b.Y, xt::all(), xt::range(share_begin_, share_end_)), b.layout};
}

std::optional<StepResult> Trainer::step() {
  data::LmBatch whole;
  if (!batches_.next(whole)) {
    carry_ = {};
    epoch_ended_ = true;
    return std::nullopt;
  }
  if (std::exchange(epoch_ended_, false)) epoch_loss_sum_ = 0, epoch_batches_ = 0;
  const data::LmBatch b = my_share(whole);
  // Random batches are not contiguous: the state starts afresh. Sequential ones continue the
  // previous batch's rows: the state is carried over, detached (truncated BPTT).
  const bool sequential = options_.sampling == data::Sampling::Sequential;
  auto [logits, next] = model_->forward(b, sequential ? carry_ : nn::RecurrentState{});
  carry_ = detached(next);
  Tensor loss = cross_entropy(logits, b.Y);
  // The whole batch's mean loss, the same on every replica, so that all of them stop together.
  const double tokens = static_cast<double>(b.Y.size());
  double sums[2] = {loss.item() * tokens, tokens};
  replicas_->sum(sums);
  const double value = sums[0] / sums[1];
  check_converging("loss", value, std::log(static_cast<double>(model_->vocab_size())) * 2 + 10);
  optimizer_->zero_grad();
  replicas_->backward(loss, tokens);
  // An infinite bound measures the norm for the metrics without clipping.
  const double norm = optim::clip_grad_norm(model_->named_parameters(), options_.clip > 0 ? options_.clip : INFINITY);
  check_converging("gradient norm", norm, INFINITY);
  optimizer_->step();
  ++steps_;
  epoch_loss_sum_ += value;
  ++epoch_batches_;
  return StepResult{value, norm, whole.X.size()};
}

void Trainer::check_converging(const char* what, double value, double bound) const {
  if (value <= bound) return;  // false for NaN too
  fail<ValueError>("Trainer: training diverged at step {} (epoch {}): the {} is {:.4g}{}; lower the learning rate "
                   "(lr {} with {}){}", steps_ + 1, epoch() + 1, what, value,
                   std::isfinite(value) ? fmt::format(" (beyond {:.3g})", bound) : "", options_.lr, options_.optimizer,
                   options_.clip > 0 ? "" : " or clip the gradient norm (clip 0: no clipping)");
}

void Trainer::save(const std::string& dir) const {
  // Every replica's carried rows (axis 1 of the (layers, rows, hidden) state) and random stream go to
  // rank 0, which writes the files.
  StateDict carry;
  for (const auto& [name, state] : {std::pair{"h", carry_.h}, std::pair{"c", carry_.c}})
    if (state.defined()) carry[name] = replicas_->gather(state, 1);
  const std::vector<std::string> streams = replicas_->gather(default_generator().state());
  if (replicas_->rank() != 0) return;
  save_npz(dir + "/model.npz", model_->state_dict());
  save_npz(dir + "/optimizer.npz", optimizer_->state_dict());
  save_npz(dir + "/carry.npz", carry);
  const std::string tmp = dir + "/checkpoint.tmp";
  std::ofstream file(tmp);
  // The epoch's loss sum in the shortest text that reads back to the same double.
  file << steps_ << '\n' << batches_.state().str() << '\n' << sample_generator_.state() << '\n' << streams[0] << '\n'
       << fmt::format("{} {} {}", epoch_loss_sum_, epoch_batches_, epoch_ended_ ? 1 : 0) << '\n';
  write_replica_streams(file, streams);
  file.close();
  if (!file) fail<IoError>("Trainer::save: cannot write {}", tmp);
  std::filesystem::rename(tmp, dir + "/checkpoint.txt");
}

void Trainer::require_checkpoint(const std::string& dir) {
  if (!std::filesystem::is_regular_file(dir + "/checkpoint.txt"))
    fail<IoError>("no checkpoint in {} (no {}/checkpoint.txt to resume)", dir, dir);
}

void Trainer::resume(const std::string& dir) {
  if (replicas_->rank() == 0) require_checkpoint(dir);
  const std::string text = read_on_rank0(*replicas_, dir + "/checkpoint.txt");
  std::istringstream lines(text);
  std::string steps, data_state, sample_state, global_state, epoch_line;
  if (!std::getline(lines, steps) || !std::getline(lines, data_state) || !std::getline(lines, sample_state) ||
      !std::getline(lines, global_state) || !std::getline(lines, epoch_line) || steps.empty() ||
      steps.find_first_not_of("0123456789") != std::string::npos)
    fail<IoError>("Trainer::resume: {}/checkpoint.txt is malformed", dir);
  global_state = read_replica_stream(lines, global_state, *replicas_, dir);
  std::istringstream epoch_in(epoch_line);
  int ended = 0;
  if (!(epoch_in >> epoch_loss_sum_ >> epoch_batches_ >> ended))
    fail<IoError>("Trainer::resume: {}/checkpoint.txt: malformed epoch loss '{}'", dir, epoch_line);
  epoch_ended_ = ended != 0;
  const auto load = [&](const char* name) { return load_npz_on_rank0(*replicas_, dir + "/" + name); };
  model_->load_state_dict(load("model.npz"));
  optimizer_->load_state_dict(load("optimizer.npz"));
  const StateDict carry = load("carry.npz");
  // This replica's rows of the whole batch's carried state.
  const auto mine = [&](const Tensor& all) {
    return visit_dtype(all.dtype(), [&]<class T>() {
      const auto& a = all.data<T>();
      return from_array(xt::xarray<T>(xt::view(a, xt::all(), xt::range(share_begin_, share_end_), xt::all())));
    });
  };
  carry_ = {};
  if (carry.count("h")) carry_.h = mine(carry.at("h"));
  if (carry.count("c")) carry_.c = mine(carry.at("c"));
  batches_.restore(data::IteratorState::parse(data_state));
  sample_generator_.set_state(sample_state);
  default_generator().set_state(global_state);
  steps_ = std::stoul(steps);
}

}  // namespace tg::examples::char_lm
