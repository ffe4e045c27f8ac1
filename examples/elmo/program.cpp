#include "elmo/program.hpp"

#include "common/cli.hpp"
#include "common/metrics.hpp"
#include "common/progress.hpp"
#include "common/svg_plot.hpp"
#include "elmo/pretrain.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <new>
#include <random>

namespace tg::examples::elmo {
namespace {

struct PretrainOptions {
  TrainingOptions train;
  std::size_t max_sentences = 0;        // 0: all
  std::size_t max_words = 20;
  std::size_t max_valid_sentences = 2000;
  std::size_t min_freq = 2;
  std::size_t char_dim = 16;
  std::size_t dim = 256;
  std::size_t projection = 64;
  std::size_t layers = 2;
};

void add_options(CLI::App& app, PretrainOptions& o) {
  add_training_options(app, o.train);
  app.add_option("--max-sentences", o.max_sentences, "Read the first N sentences of --data (0: all)")
      ->check(at_least(0))->capture_default_str();
  app.add_option("--max-words", o.max_words, "Cut sentences after this many words")->check(at_least(1))->capture_default_str();
  app.add_option("--max-valid-sentences", o.max_valid_sentences, "Cap on the held-out sentences (evaluation time)")
      ->check(at_least(1))->capture_default_str();
  app.add_option("--min-freq", o.min_freq, "Words seen fewer times are <unk> in the softmax (the input reads characters)")
      ->check(at_least(1))->capture_default_str();
  app.add_option("--char-dim", o.char_dim, "Character embedding size")->check(at_least(1))->capture_default_str();
  app.add_option("--dim", o.dim, "LSTM cell size")->check(at_least(1))->capture_default_str();
  app.add_option("--projection", o.projection, "LSTM projection and token vector size")->check(at_least(1))->capture_default_str();
  app.add_option("--layers", o.layers, "LSTM layers per direction")->check(at_least(1))->capture_default_str();
}

nn::ElmoOptions bilm_options(const PretrainOptions& o, std::size_t vocab_size) {
  nn::ElmoOptions options;
  options.char_cnn.embedding_dim(o.char_dim).projection_dim(o.projection);
  options.lstm.dim(o.dim).projection_dim(o.projection).n_layers(o.layers);
  return options.vocab_size(vocab_size);
}

void pretrain(PretrainOptions& o, const CLI::App& app, std::ostream& out, std::ostream& err) {
  TrainingOptions& train = o.train;
  // Sentences are whole (no BPTT window), and there is no resumable checkpoint yet.
  if (app.count("--num-steps")) fail<ValueError>("pretrain: --num-steps does not apply: the biLM reads whole sentences (see --max-words)");
  if (train.resume) fail<ValueError>("pretrain: --resume is not supported yet; start a new run (model.npz holds the weights)");
  if (train.data.empty()) fail<ValueError>("pretrain: give the text to train on with --data (one sentence a line)");
  const std::string& dir = train.out_dir;
  if (std::filesystem::exists(dir) && !std::filesystem::is_directory(dir))
    fail<ValueError>("pretrain: --out {} is a file; give a folder (it is created if missing)", dir);
  std::filesystem::create_directories(dir);
  if (train.lr == 0) train.lr = default_lr(train.optimizer);
  if (train.threads) set_num_threads(static_cast<int>(train.threads));
  manual_seed(train.seed);

  std::vector<Sentence> sentences = read_sentences(data::read_utf8_file(train.data, "--data"), o.max_words);
  if (o.max_sentences && sentences.size() > o.max_sentences) sentences.resize(o.max_sentences);
  // fra.txt is sorted by length: the held-out sentences are a seeded random sample, not the tail.
  auto [train_sentences, valid_sentences] = data::split_shuffled(sentences, train.valid_fraction, train.seed);
  if (valid_sentences.size() > o.max_valid_sentences) valid_sentences.resize(o.max_valid_sentences);
  if (train_sentences.empty()) fail<ValueError>("pretrain: --data {} has no sentences to train on", train.data);
  const data::Vocab vocab = bilm_vocab(train_sentences, o.min_freq);
  vocab.save(dir + "/vocab.txt");
  auto bilm = std::make_shared<nn::ElmoBiLm>(bilm_options(o, vocab.size()));
  {
    std::ofstream json(dir + "/options.json");
    json << options_json(bilm->options);
    if (!json) fail<IoError>("pretrain: cannot write {}/options.json", dir);
  }
  std::size_t parameters = 0;
  for (const auto& [name, p] : bilm->named_parameters()) parameters += p.numel();
  err << fmt::format("elmo pretrain: {} sentences ({} train, {} held out), softmax vocabulary {}, {} parameters\n",
                     sentences.size(), train_sentences.size(), valid_sentences.size(), vocab.size(), parameters);

  std::unique_ptr<optim::Optimizer> optimizer;
  if (train.optimizer == "sgd")
    optimizer = std::make_unique<optim::SGD>(bilm->named_parameters(), optim::SGDOptions(train.lr));
  else
    optimizer = std::make_unique<optim::Adam>(bilm->named_parameters(), optim::AdamOptions(train.lr));
  const std::size_t per_epoch = (train_sentences.size() + train.batch_size - 1) / train.batch_size;
  const std::size_t total = train.steps ? train.steps : train.epochs * per_epoch;
  const std::string csv_path = dir + "/metrics.csv", svg_path = dir + "/loss.svg";
  MetricsCsv csv(csv_path);
  ProgressBar bar(total, err, &err == &std::cerr && is_terminal(stderr), train.log_interval);
  std::mt19937_64 shuffle(train.seed);
  const auto start = std::chrono::steady_clock::now();
  double window_loss = 0, grad_norm = 0;
  std::size_t window_steps = 0, step = 0;
  Perplexities held_out{NAN, NAN};  // at the last validation, which the last step always has

  // One row of metrics.csv (valid_loss: the mean of the two directions' held-out cross-entropies).
  const auto log = [&](bool validate) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Perplexities& p = held_out;
    if (validate && !valid_sentences.empty()) p = evaluate(*bilm, valid_sentences, vocab, 64);
    const double train_loss = window_steps ? window_loss / static_cast<double>(window_steps) : NAN;
    const double valid_loss = validate ? 0.5 * (std::log(p.forward) + std::log(p.backward)) : NAN;
    csv.write({step / per_epoch, step, train_loss, valid_loss, train.lr,
               grad_norm, seconds});
    window_loss = 0;
    window_steps = 0;
    if (!validate) return;
    bar.message(fmt::format("step {} ({:.1f} s): held-out perplexity forward {:.2f}, backward {:.2f}", step, seconds,
                            p.forward, p.backward));
    write_line_plot_svg(svg_path, loss_curves(MetricsCsv::read(csv_path)), {"ELMo biLM", "step", "loss (nats/word)"});
  };

  while (step < total) {
    std::shuffle(train_sentences.begin(), train_sentences.end(), shuffle);
    for (std::size_t first = 0; first < train_sentences.size() && step < total; first += train.batch_size) {
      const std::vector<Sentence> some(
          train_sentences.begin() + static_cast<std::ptrdiff_t>(first),
          train_sentences.begin() + static_cast<std::ptrdiff_t>(std::min(first + train.batch_size, train_sentences.size())));
      const BiLmBatch b = make_batch(some, vocab);
      Tensor loss = bilm->loss(b.char_ids, b.words);
      optimizer->zero_grad();
      loss.backward();
      if (train.clip > 0) grad_norm = optim::clip_grad_norm(bilm->named_parameters(), train.clip);
      optimizer->step();
      ++step;
      window_loss += loss.item();
      ++window_steps;
      bar.update(step, loss.item(), b.tokens);
      const bool epoch_end = step % per_epoch == 0;
      if (epoch_end || step == total) log(true);
      else if (step % train.metrics_every == 0) log(false);
      if (train.checkpoint_every && step % train.checkpoint_every == 0) bilm->save(dir + "/model.npz");
    }
  }
  bar.finish();
  bilm->save(dir + "/model.npz");
  if (valid_sentences.empty())
    out << "held-out perplexity: none (--valid-fraction 0)\n";
  else
    out << fmt::format("held-out perplexity: forward {:.3f}, backward {:.3f} ({} sentences)\n", held_out.forward,
                       held_out.backward, valid_sentences.size());
  err << fmt::format("elmo pretrain: wrote model.npz, options.json, vocab.txt, metrics.csv and loss.svg in {}\n", dir);
}

struct FeaturesOptions {
  std::string model;
  long layer = -1;
  std::size_t neighbours = 3;
  bool vectors = false;
};

void add_options(CLI::App& app, FeaturesOptions& o) {
  app.add_option("--model", o.model, "Folder of a pretrain run (options.json, vocab.txt, model.npz)")->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--layer", o.layer, "Features: -1 the average of all layers (a fresh ScalarMix), k layer k alone "
                                     "(0: the context-free token encoding)")->capture_default_str();
  app.add_option("--neighbours", o.neighbours, "Nearest other tokens shown per token")->check(at_least(0))->capture_default_str();
  app.add_flag("--vectors", o.vectors, "Print each token's vector too");
}

// Sentences from `in`, one a line: each token, optionally its vector, and its nearest other tokens.
void features(const FeaturesOptions& o, std::istream& in, std::ostream& out) {
  auto bilm = load_pretrained(o.model);
  if (o.layer >= static_cast<long>(bilm->num_layers()))
    fail<ValueError>("features: --layer {}: the biLM in {} has layers 0 to {}", o.layer, o.model, bilm->num_layers() - 1);
  std::string text;
  for (std::string line; std::getline(in, line);) text += line + '\n';
  const std::vector<Sentence> sentences = read_sentences(text, std::numeric_limits<std::size_t>::max());
  if (sentences.empty()) fail<ValueError>("features: no sentences on standard input (one a line)");
  auto elmo = std::make_shared<nn::Elmo>(bilm, nn::ElmoMixOptions().dropout(0));
  NoGradGuard no_grad;
  const auto chars = data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(sentences));
  Tensor mixed;
  if (o.layer < 0) {
    mixed = elmo->forward(chars.ids).elmo_representations[0];
  } else {
    const nn::ElmoBiLmOutput layers = bilm->forward(chars.ids);
    mixed = nn::remove_sentence_boundaries(layers.activations[static_cast<std::size_t>(o.layer)], layers.mask).first;
  }
  const xt::xarray<float> v = mixed.data<float>();
  std::vector<std::string> names;
  std::vector<xt::xtensor<float, 1>> rows;
  for (std::size_t n = 0; n < sentences.size(); ++n)
    for (std::size_t t = 0; t < sentences[n].size(); ++t) {
      names.push_back(fmt::format("{}[{}.{}]", sentences[n][t], n + 1, t + 1));
      rows.emplace_back(xt::view(v, n, t, xt::all()));
    }
  xt::xtensor<float, 2> vectors = xt::zeros<float>({rows.size(), v.shape(2)});
  for (std::size_t i = 0; i < rows.size(); ++i) xt::row(vectors, i) = rows[i];
  const auto nearest = nearest_neighbours(vectors, o.neighbours);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out << names[i];
    if (o.vectors) out << '\t' << fmt::format("{:.4f}", fmt::join(rows[i], " "));
    for (const auto& [j, cosine] : nearest[i]) out << fmt::format("\t{} {:.3f}", names[j], cosine);
    out << '\n';
  }
}

struct DownstreamOptions {
  std::string model, data;
  std::size_t max_sentences = 20000, max_valid_sentences = 2000, steps = 300, batch_size = 32, hidden = 64;
  double lr = 0.005, valid_fraction = 0.1;
  std::uint64_t seed = 0;
};

void add_options(CLI::App& app, DownstreamOptions& o) {
  app.add_option("--model", o.model, "Folder of a pretrain run (options.json, vocab.txt, model.npz)")->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--data", o.data, "Text whose punctuation is restored (one sentence a line)")->required()
      ->check(CLI::ExistingFile);
  app.add_option("--max-sentences", o.max_sentences, "Read the first N sentences (0: all)")->check(at_least(0))->capture_default_str();
  app.add_option("--max-valid-sentences", o.max_valid_sentences, "Cap on the held-out sentences")->check(at_least(1))->capture_default_str();
  app.add_option("--valid-fraction", o.valid_fraction, "Share held out")->check(in_range(0.01, 0.9))->capture_default_str();
  app.add_option("--steps", o.steps, "Optimizer steps of each tagger")->check(at_least(1))->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Sentences per batch")->check(at_least(1))->capture_default_str();
  app.add_option("--hidden", o.hidden, "Tagger hidden size")->check(at_least(1))->capture_default_str();
  app.add_option("--lr", o.lr, "Adam learning rate")->check(above(0))->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed")->capture_default_str();
}

// The same per-token tagger (a two-layer perceptron) over either input; `features` maps a batch of
// sentences to (N, T, D) vectors and their mask.
struct PunctuationTagger : nn::Module {
  using Features = std::function<std::pair<Tensor, Mask>(const std::vector<Sentence>&)>;
  PunctuationTagger(Features f, std::size_t width, std::size_t hidden_size, std::shared_ptr<nn::Module> features_module)
      : nn::Module("PunctuationTagger"), features(std::move(f)) {
    if (features_module) register_module("features", std::move(features_module));
    hidden = register_module("hidden", std::make_shared<nn::Linear>(width, hidden_size));
    out = register_module("out", std::make_shared<nn::Linear>(hidden_size, kPunctuationClasses));
  }
  std::pair<Tensor, Mask> forward(const std::vector<Sentence>& sentences) {
    auto [x, mask] = features(sentences);
    return {out->forward(tanh(hidden->forward(x))), mask};
  }
  Features features;
  std::shared_ptr<nn::Linear> hidden, out;
};

std::vector<Sentence> words_of(const std::vector<PunctuatedSentence>& s, std::size_t first, std::size_t count) {
  std::vector<Sentence> out;
  for (std::size_t i = first; i < std::min(first + count, s.size()); ++i) out.push_back(s[i].words);
  return out;
}

IndexArray labels_of(const std::vector<PunctuatedSentence>& s, std::size_t first, std::size_t count) {
  std::size_t longest = 0;
  for (std::size_t i = first; i < std::min(first + count, s.size()); ++i) longest = std::max(longest, s[i].words.size());
  IndexArray labels = xt::zeros<Index>({std::min(first + count, s.size()) - first, longest});
  for (std::size_t i = first; i < std::min(first + count, s.size()); ++i)
    for (std::size_t t = 0; t < s[i].labels.size(); ++t) labels(i - first, t) = s[i].labels[t];
  return labels;
}

// Trains the tagger on `train` and returns its held-out accuracy over all words and over each
// sentence's last word (whose mark, . ? or !, depends on the whole sentence).
std::pair<double, double> train_and_score(PunctuationTagger& tagger, const DownstreamOptions& o,
                                          std::vector<PunctuatedSentence> train, const std::vector<PunctuatedSentence>& valid) {
  optim::Adam adam(tagger.named_parameters(), optim::AdamOptions(o.lr));
  std::mt19937_64 shuffle(o.seed);
  for (std::size_t step = 0, first = train.size(); step < o.steps; ++step, first += o.batch_size) {
    if (first >= train.size()) {
      std::shuffle(train.begin(), train.end(), shuffle);
      first = 0;
    }
    auto [logits, mask] = tagger.forward(words_of(train, first, o.batch_size));
    Tensor loss = cross_entropy(logits, labels_of(train, first, o.batch_size), CrossEntropyOptions().with_mask(mask));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  NoGradGuard no_grad;
  double right = 0, words = 0, last_right = 0;
  for (std::size_t first = 0; first < valid.size(); first += 64) {
    const xt::xarray<float> logits = tagger.forward(words_of(valid, first, 64)).first.data<float>();
    for (std::size_t i = first; i < std::min(first + 64, valid.size()); ++i)
      for (std::size_t t = 0; t < valid[i].words.size(); ++t) {
        const auto scores = xt::view(logits, i - first, t, xt::all());
        const bool hit = static_cast<Index>(std::max_element(scores.begin(), scores.end()) - scores.begin()) == valid[i].labels[t];
        right += hit;
        ++words;
        if (t + 1 == valid[i].words.size()) last_right += hit;
      }
  }
  return {right / words, last_right / static_cast<double>(valid.size())};
}

// Restoring punctuation with (a) trained word embeddings and (b) frozen ELMo + ScalarMix, the same
// tagger, data and steps.
void downstream(const DownstreamOptions& o, std::ostream& out, std::ostream& err) {
  manual_seed(o.seed);
  auto bilm = load_pretrained(o.model);
  std::vector<PunctuatedSentence> all;
  for (const Sentence& s : read_sentences(data::read_utf8_file(o.data, "--data"), 40)) {
    PunctuatedSentence p = punctuation_task(s);
    if (!p.words.empty()) all.push_back(std::move(p));
    if (o.max_sentences && all.size() == o.max_sentences) break;
  }
  auto [train, valid] = data::split_shuffled(all, o.valid_fraction, o.seed);
  if (valid.size() > o.max_valid_sentences) valid.resize(o.max_valid_sentences);
  if (train.empty() || valid.empty()) fail<ValueError>("downstream: --data {} has too few sentences to train and score", o.data);
  std::vector<std::string> train_words;
  for (const PunctuatedSentence& s : train) train_words.insert(train_words.end(), s.words.begin(), s.words.end());
  const data::Vocab vocab(train_words);
  const std::size_t width = bilm->output_dim();
  err << fmt::format("elmo downstream: {} sentences ({} train, {} held out), {} words, features {} wide\n", all.size(),
                     train.size(), valid.size(), vocab.size(), width);

  auto embedding = std::make_shared<nn::Embedding>(vocab.size(), width);
  PunctuationTagger plain(
      [&](const std::vector<Sentence>& s) {
        std::size_t longest = 0;
        for (const Sentence& words : s) longest = std::max(longest, words.size());
        IndexArray ids = xt::zeros<Index>({s.size(), longest});
        Mask mask = xt::zeros<bool>({s.size(), longest});
        for (std::size_t n = 0; n < s.size(); ++n)
          for (std::size_t t = 0; t < s[n].size(); ++t) {
            ids(n, t) = vocab[s[n][t]];
            mask(n, t) = true;
          }
        return std::make_pair(embedding->forward(ids), mask);
      },
      width, o.hidden, embedding);
  auto elmo = std::make_shared<nn::Elmo>(bilm, nn::ElmoMixOptions().dropout(0));
  PunctuationTagger contextual(
      [&](const std::vector<Sentence>& s) {
        nn::ElmoOutput e = elmo->forward(data::add_elmo_sentence_boundaries(data::elmo_batch_to_ids(s)).ids);
        return std::make_pair(e.elmo_representations[0], e.mask);
      },
      width, o.hidden, elmo);
  const auto start = std::chrono::steady_clock::now();
  const auto [plain_all, plain_last] = train_and_score(plain, o, train, valid);
  const double plain_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto [elmo_all, elmo_last] = train_and_score(contextual, o, train, valid);
  const double elmo_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() - plain_seconds;
  out << fmt::format("(a) word embeddings:       accuracy {:.4f} on all words, {:.4f} on sentence ends ({:.0f} s)\n",
                     plain_all, plain_last, plain_seconds);
  out << fmt::format("(b) frozen ELMo + ScalarMix: accuracy {:.4f} on all words, {:.4f} on sentence ends ({:.0f} s)\n",
                     elmo_all, elmo_last, elmo_seconds);
}

}  // namespace

int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  CLI::App app{"ELMo with tapegrad: pretrain a bidirectional LM, then use its features", "elmo"};
  app.require_subcommand(1);
  PretrainOptions pretrain_options;
  CLI::App* pretrain_app = app.add_subcommand("pretrain", "Train the biLM on --data; held-out perplexities; model.npz");
  add_options(*pretrain_app, pretrain_options);
  FeaturesOptions features_options;
  CLI::App* features_app = app.add_subcommand(
      "features", "Per-token vectors of a pretrained biLM for sentences on standard input, with nearest neighbours");
  add_options(*features_app, features_options);
  DownstreamOptions downstream_options;
  CLI::App* downstream_app = app.add_subcommand(
      "downstream", "Restore the punctuation of --data: (a) trained word embeddings vs (b) frozen ELMo features");
  add_options(*downstream_app, downstream_options);
  return run_cli(app, args, out, err, "lower --dim, --projection, --batch-size or --max-words", [&] {
    if (features_app->parsed())
      features(features_options, in, out);
    else if (downstream_app->parsed())
      downstream(downstream_options, out, err);
    else
      pretrain(pretrain_options, *pretrain_app, out, err);
  });
}

}  // namespace tg::examples::elmo
