// Character-level language model: embedding -> RNN/GRU/LSTM -> linear head, trained with truncated
// BPTT on any text file (or a generated one), with validation perplexity, sampling and resumable
// checkpoints.
//
//     char_lm --data ../shared/data/timemachine.txt --model lstm --layers 2 --hidden 256 --steps 2000
//     char_lm --out runs/tm --resume --steps 4000       # continues the run above
#include "common/cli.hpp"
#include "common/metrics.hpp"
#include "common/progress.hpp"
#include "common/svg_plot.hpp"

#include <autograd/npz.hpp>
#include <nn/rnn.hpp>
#include <tapegrad.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

namespace data = tg::data;
namespace ex = tg::examples;

struct ModelOptions {
  std::string model = "lstm";
  std::size_t layers = 1, hidden = 128, embed = 32;
  bool bidirectional = false;
  double dropout = 0;
  std::size_t max_chars = 0;
  std::string sampling = "sequential";
  std::string prompt = "the ";
  std::size_t sample_chars = 200;
  double temperature = 0.8;
};

/// ids (L, N) -> logits (L, N, vocab).
struct CharLM : tg::nn::Module {
  CharLM(std::size_t vocab, const ModelOptions& o) : Module("CharLM") {
    embedding = register_parameter("embedding", tg::randn({vocab, o.embed}) * 0.1);
    if (o.model == "rnn")
      rnn = register_module("rnn", std::make_shared<tg::nn::RNN>(
                                       tg::nn::RNNOptions(o.embed, o.hidden).num_layers(o.layers).dropout(o.dropout)));
    else if (o.model == "gru")
      rnn = register_module("rnn", std::make_shared<tg::nn::GRU>(
                                       tg::nn::GRUOptions(o.embed, o.hidden).num_layers(o.layers).dropout(o.dropout)));
    else
      rnn = register_module("rnn", std::make_shared<tg::nn::LSTM>(
                                       tg::nn::LSTMOptions(o.embed, o.hidden).num_layers(o.layers).dropout(o.dropout)));
    const double bound = 1 / std::sqrt(static_cast<double>(o.hidden));
    head_weight = register_parameter("head_weight", tg::rand({vocab, o.hidden}, {}, -bound, bound));
    head_bias = register_parameter("head_bias", tg::zeros({vocab}));
  }
  std::pair<tg::Tensor, tg::nn::RecurrentState> forward(const tg::IndexArray& ids, const tg::nn::RecurrentState& state) {
    auto out = rnn->forward(tg::embedding(embedding, ids), state);
    return {tg::linear(out.output, head_weight, head_bias), {out.h_n, out.c_n}};
  }
  tg::Tensor embedding, head_weight, head_bias;
  std::shared_ptr<tg::nn::RecurrentLayer> rnn;
};

tg::nn::RecurrentState detached(const tg::nn::RecurrentState& s) {
  return {s.h.defined() ? s.h.detach() : s.h, s.c.defined() ? s.c.detach() : s.c};
}

std::unique_ptr<tg::optim::Optimizer> make_optimizer(const std::string& name, CharLM& model, double lr) {
  if (name == "adam") return std::make_unique<tg::optim::Adam>(model.named_parameters(), tg::optim::AdamOptions(lr));
  return std::make_unique<tg::optim::SGD>(model.named_parameters(), tg::optim::SGDOptions(lr));
}

// Mean loss per character over a stream, in order, carrying the state.
double evaluate(CharLM& model, const std::vector<tg::Index>& ids, std::size_t batch_size, std::size_t num_steps) {
  auto options = data::LmBatchOptions().batch_size(batch_size).num_steps(num_steps)
                     .sampling(data::Sampling::Sequential).layout(data::Layout::TimeMajor);
  if (ids.size() < data::LmBatchIterator::min_tokens(options)) return NAN;
  tg::NoGradGuard no_grad;
  model.eval();
  data::LmBatchIterator it(ids, options);
  tg::nn::RecurrentState state;
  double total = 0;
  std::size_t count = 0;
  for (data::LmBatch b; it.next(b); ++count) {
    auto [logits, next] = model.forward(b.X, state);
    state = next;
    total += tg::cross_entropy(logits, b.Y).item();
  }
  model.train();
  return count ? total / static_cast<double>(count) : NAN;
}

std::string sample(CharLM& model, const data::Vocab& vocab, const std::string& prompt, std::size_t n,
                   double temperature, tg::Generator& g) {
  tg::NoGradGuard no_grad;
  model.eval();
  data::Tokenizer chars(data::TokenLevel::Char);
  std::vector<tg::Index> ids = vocab.encode(chars.tokenize(prompt.empty() ? " " : prompt));
  tg::nn::RecurrentState state;
  tg::IndexArray input = tg::IndexArray::from_shape({ids.size(), 1});
  std::copy(ids.begin(), ids.end(), input.begin());
  std::string out = prompt;
  for (std::size_t i = 0; i < n; ++i) {
    auto [logits, next] = model.forward(input, state);
    state = next;
    const auto& all = logits.data<float>();
    xt::xarray<double> last = xt::view(all, all.shape(0) - 1, 0, xt::all());
    std::size_t choice = 0;
    if (temperature <= 0) {
      choice = static_cast<std::size_t>(xt::argmax(last)());
    } else {
      xt::xarray<double> p = xt::exp((last - xt::amax(last)()) / temperature);
      double u = g.uniform() * xt::sum(p)();
      while (choice + 1 < p.size() && (u -= p(choice)) > 0) ++choice;
    }
    out += vocab.token(static_cast<tg::Index>(choice));
    input = tg::IndexArray::from_shape({1, 1});
    input(0, 0) = static_cast<tg::Index>(choice);
  }
  model.train();
  return out;
}

std::string generated_text(std::uint64_t seed) {
  // A small language with structure to learn: subject, verb, object, in random combinations.
  const std::vector<std::string> subjects{"the cat", "a dog", "the old man", "my sister", "a bird"},
      verbs{"sees", "likes", "finds", "follows", "hears"},
      objects{"the river.", "a red ball.", "the moon.", "an apple.", "the long road."};
  tg::Generator g(seed);
  std::string text;
  while (text.size() < 60000)
    text += subjects[g.below(5)] + " " + verbs[g.below(5)] + " " + objects[g.below(5)] + (g.below(4) ? " " : "\n");
  return text;
}

// Everything a resumed run needs to continue as if never stopped: the model, the optimizer, the data
// position, the state carried between sequential batches and both random streams (dropout, sampling).
struct Checkpoint {
  std::size_t step = 0;
  data::IteratorState data_state;
  std::string sample_rng;
  tg::nn::RecurrentState carry;
};

void save_checkpoint(const std::string& dir, CharLM& model, const tg::optim::Optimizer& optimizer, const Checkpoint& c) {
  tg::save_npz(dir + "/model.npz", model.state_dict());
  tg::save_npz(dir + "/optimizer.npz", optimizer.state_dict());
  tg::StateDict carry;
  if (c.carry.h.defined()) carry["h"] = c.carry.h;
  if (c.carry.c.defined()) carry["c"] = c.carry.c;
  tg::save_npz(dir + "/carry.npz", carry);
  std::ofstream file(dir + "/checkpoint.tmp");
  file << c.step << '\n' << c.data_state.str() << '\n' << c.sample_rng << '\n' << tg::default_generator().state() << '\n';
  file.close();
  std::filesystem::rename(dir + "/checkpoint.tmp", dir + "/checkpoint.txt");
}

Checkpoint load_checkpoint(const std::string& dir, CharLM& model, tg::optim::Optimizer& optimizer) {
  model.load_state_dict(tg::load_npz(dir + "/model.npz"));
  optimizer.load_state_dict(tg::load_npz(dir + "/optimizer.npz"));
  std::ifstream file(dir + "/checkpoint.txt");
  Checkpoint c;
  std::string step, state, global_rng;
  if (!std::getline(file, step) || !std::getline(file, state) || !std::getline(file, c.sample_rng) ||
      !std::getline(file, global_rng))
    tg::fail<tg::IoError>("char_lm: {}/checkpoint.txt is malformed", dir);
  c.step = std::stoul(step);
  c.data_state = data::IteratorState::parse(state);
  tg::default_generator().set_state(global_rng);
  const tg::StateDict carry = tg::load_npz(dir + "/carry.npz");
  if (carry.count("h")) c.carry.h = carry.at("h");
  if (carry.count("c")) c.carry.c = carry.at("c");
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Character-level language model (RNN/GRU/LSTM) with tapegrad"};
  ex::TrainingOptions train;
  train.optimizer = "sgd";
  train.lr = 1.0;
  train.num_steps = 35;
  ModelOptions m;
  ex::add_training_options(app, train);
  app.add_option("--model", m.model, "Recurrent layer")->check(CLI::IsMember({"rnn", "gru", "lstm"}))->capture_default_str();
  app.add_option("--layers", m.layers, "Stacked layers")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--hidden", m.hidden, "Hidden size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--embed", m.embed, "Character embedding size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_flag("--bidirectional", m.bidirectional, "Accepted, but see the message it prints");
  app.add_option("--dropout", m.dropout, "Dropout between layers")->check(CLI::Range(0.0, 0.95))->capture_default_str();
  app.add_option("--max-chars", m.max_chars, "Use only the first N characters (0: all)")->capture_default_str();
  app.add_option("--sampling", m.sampling, "Minibatch sampling")->check(CLI::IsMember({"random", "sequential"}))->capture_default_str();
  app.add_option("--prompt", m.prompt, "Text to start samples from")->capture_default_str();
  app.add_option("--sample-chars", m.sample_chars, "Characters to generate")->capture_default_str();
  app.add_option("--temperature", m.temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (m.bidirectional) {
      std::cerr << "char_lm: --bidirectional: the reverse direction reads the characters after position t, "
                   "which include the target t+1, so a bidirectional model would learn to copy its answer and "
                   "cannot generate text left to right. Training a unidirectional model instead.\n";
      m.bidirectional = false;
    }
    if (train.threads) tg::set_num_threads(static_cast<int>(train.threads));
    tg::manual_seed(train.seed);
    std::filesystem::create_directories(train.out_dir);

    const std::string text = train.data.empty() ? generated_text(train.seed)
                                                : data::read_utf8_file(train.data, "char_lm");
    data::Tokenizer chars(data::TokenLevel::Char);
    std::vector<std::string> tokens = chars.tokenize(text);
    if (m.max_chars && tokens.size() > m.max_chars) tokens.resize(m.max_chars);
    const std::string vocab_path = train.out_dir + "/vocab.txt";
    const data::Vocab vocab = train.resume ? data::Vocab::load(vocab_path) : data::Vocab(tokens);
    if (!train.resume) vocab.save(vocab_path);
    auto [train_ids, valid_ids] = data::split_tail(vocab.encode(tokens), train.valid_fraction);
    std::cerr << fmt::format("char_lm: {} characters ({} train, {} validation), vocab {}\n", tokens.size(),
                             train_ids.size(), valid_ids.size(), vocab.size());

    auto model = std::make_shared<CharLM>(vocab.size(), m);
    auto optimizer = make_optimizer(train.optimizer, *model, train.lr);
    const bool sequential = m.sampling == "sequential";
    data::LmBatchIterator batches(train_ids, data::LmBatchOptions().batch_size(train.batch_size).num_steps(train.num_steps)
                                                 .sampling(sequential ? data::Sampling::Sequential : data::Sampling::Random)
                                                 .layout(data::Layout::TimeMajor).seed(train.seed));
    tg::Generator sample_rng(train.seed + 1);
    tg::nn::RecurrentState state;
    std::size_t step = 0;
    if (train.resume) {
      Checkpoint c = load_checkpoint(train.out_dir, *model, *optimizer);
      step = c.step;
      batches.restore(c.data_state);
      sample_rng.set_state(c.sample_rng);
      state = c.carry;
      std::cerr << fmt::format("char_lm: resumed at step {} (epoch {}, batch {})\n", step, batches.epoch(),
                               batches.batch_index());
    }
    const std::size_t total = train.steps ? train.steps : train.epochs * batches.num_batches();
    ex::MetricsCsv csv(train.out_dir + "/metrics.csv", train.resume);
    ex::ProgressBar bar(total, std::cerr, ex::is_terminal(stderr), train.log_interval, step);
    const auto start = std::chrono::steady_clock::now();
    double epoch_loss = 0, grad_norm = 0;
    std::size_t epoch_batches = 0;

    const auto end_epoch = [&](std::size_t epoch) {
      const double valid = evaluate(*model, valid_ids, std::min<std::size_t>(train.batch_size, 16), train.num_steps);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double loss = epoch_loss / static_cast<double>(std::max<std::size_t>(epoch_batches, 1));
      csv.write({epoch, step, loss, valid, optimizer->lr(), grad_norm, seconds});
      bar.message(fmt::format("epoch {} step {}: train perplexity {:.3f}, validation perplexity {:.3f}", epoch, step,
                              std::exp(loss), std::exp(valid)));
      ex::write_line_plot_svg(train.out_dir + "/loss.svg", ex::loss_curves(ex::MetricsCsv::read(train.out_dir + "/metrics.csv")),
                              {"char LM (" + m.model + ")", "epoch", "loss (nats/char)"});
      epoch_loss = 0;
      epoch_batches = 0;
    };

    while (step < total) {
      data::LmBatch b;
      if (!batches.next(b)) {
        end_epoch(batches.epoch());
        state = {};
        continue;
      }
      // Random batches are not contiguous: the state starts afresh. Sequential ones continue the
      // previous batch's rows: the state is carried over, detached (truncated BPTT).
      auto [logits, next] = model->forward(b.X, sequential ? detached(state) : tg::nn::RecurrentState{});
      state = next;
      tg::Tensor loss = tg::cross_entropy(logits, b.Y);
      optimizer->zero_grad();
      loss.backward();
      // An infinite bound measures the norm for the metrics without clipping.
      grad_norm = tg::optim::clip_grad_norm(model->named_parameters(), train.clip > 0 ? train.clip : INFINITY);
      optimizer->step();
      ++step;
      epoch_loss += loss.item();
      ++epoch_batches;
      bar.update(step, loss.item(), b.X.size());
      if (train.checkpoint_every && step % train.checkpoint_every == 0)
        save_checkpoint(train.out_dir, *model, *optimizer, {step, batches.state(), sample_rng.state(), detached(state)});
    }
    if (epoch_batches) end_epoch(batches.epoch() + 1);
    bar.finish();
    save_checkpoint(train.out_dir, *model, *optimizer, {step, batches.state(), sample_rng.state(), detached(state)});
    std::cout << "greedy:      " << sample(*model, vocab, m.prompt, m.sample_chars, 0, sample_rng) << "\n";
    std::cout << "temperature: " << sample(*model, vocab, m.prompt, m.sample_chars, m.temperature, sample_rng) << "\n";
  } catch (const tg::Error& e) {
    std::cerr << "char_lm: " << e.what() << "\n";
    return 1;
  }
}
