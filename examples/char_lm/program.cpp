#include "char_lm/program.hpp"

#include "char_lm/char_lm.hpp"
#include "common/cli.hpp"
#include "common/metrics.hpp"
#include "common/progress.hpp"
#include "common/svg_plot.hpp"

#include <tapegrad.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <new>
#include <optional>
#include <sstream>
#include <type_traits>

namespace tg::examples::char_lm {
namespace {

struct TextOptions {
  std::string normalizer = "keep";
  std::size_t max_chars = 0;
  std::string sampling = "sequential";
  std::string prompt = "the ";
  std::size_t sample_chars = 200;
  double temperature = 0.8;
  bool bidirectional = false;
};

struct Settings {
  TrainingOptions train;
  ModelOptions model;
  TextOptions text;
};

// An option that defines a run: written to <out>/options.txt, taken from there by --resume, and
// refused there if given with another value. --data is only taken: another copy of the same text
// is fine, and the text's hash is what is compared.
struct RunOption {
  std::string flag;
  std::function<std::string()> get;
  std::function<bool(const std::string&)> set;  // false if `text` is not a value of the option
  bool compared = true;
};

template <class T>
RunOption run_option(std::string flag, T& value, bool compared = true) {
  return {std::move(flag), [&value] { return fmt::format("{}", value); },
          [&value](const std::string& text) {
            if constexpr (std::is_same_v<T, std::string>) {
              value = text;
              return true;
            } else {
              std::istringstream in(text);
              return static_cast<bool>(in >> value) && in.eof();
            }
          },
          compared};
}

std::vector<RunOption> run_options(Settings& s) {
  return {run_option("--data", s.train.data, false), run_option("--normalizer", s.text.normalizer),
          run_option("--max-chars", s.text.max_chars),   run_option("--valid-fraction", s.train.valid_fraction),
          run_option("--model", s.model.model),          run_option("--layers", s.model.layers),
          run_option("--hidden", s.model.hidden),        run_option("--embed", s.model.embed),
          run_option("--dropout", s.model.dropout),      run_option("--optimizer", s.train.optimizer),
          run_option("--lr", s.train.lr),                run_option("--clip", s.train.clip),
          run_option("--batch-size", s.train.batch_size), run_option("--num-steps", s.train.num_steps),
          run_option("--sampling", s.text.sampling),     run_option("--seed", s.train.seed)};
}

// FNV-1a: the training text's fingerprint in options.txt.
std::string text_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

void write_run_options(const std::string& dir, const std::vector<RunOption>& options, const std::string& hash) {
  std::ofstream file(dir + "/options.txt");
  for (const auto& o : options) file << o.flag << ' ' << o.get() << '\n';
  file << "text-hash " << hash << '\n';
  file.close();
  if (!file) fail<IoError>("cannot write {}/options.txt", dir);
}

// Resuming: takes the options the run in `dir` was started with, refusing ones given differently.
// Returns the recorded text hash.
std::string take_run_options(const std::string& dir, const std::vector<RunOption>& options, const CLI::App& app) {
  Trainer::require_checkpoint(dir);
  std::ifstream file(dir + "/options.txt");
  if (!file) fail<IoError>("{}/options.txt cannot be read: the checkpoint does not say how the run was started", dir);
  std::string hash;
  for (std::string line; std::getline(file, line);) {
    const auto space = line.find(' ');
    const std::string flag = line.substr(0, space), value = space == std::string::npos ? "" : line.substr(space + 1);
    if (flag == "text-hash") {
      hash = value;
      continue;
    }
    const auto o = std::find_if(options.begin(), options.end(), [&](const RunOption& r) { return r.flag == flag; });
    if (o == options.end()) fail<IoError>("{}/options.txt: unknown option '{}'", dir, flag);
    if (o->compared && app.count(flag) && o->get() != value)
      fail<ValueError>("--resume: {} {} differs from {} {} that the run in {} was started with; leave {} out to "
                       "continue that run, or start a new one in another --out",
                       flag, o->get(), flag, value, dir, flag);
    if (!app.count(flag) && !o->set(value)) fail<IoError>("{}/options.txt: '{}' is not a value of {}", dir, value, flag);
  }
  if (hash.empty()) fail<IoError>("{}/options.txt: no text-hash line", dir);
  return hash;
}

void add_options(CLI::App& app, Settings& s, const std::vector<std::string>& normalizers) {
  add_training_options(app, s.train);
  ModelOptions& m = s.model;
  TextOptions& t = s.text;
  app.add_option("--model", m.model, "Recurrent layer")->check(CLI::IsMember({"rnn", "gru", "lstm"}))->capture_default_str();
  app.add_option("--layers", m.layers, "Stacked layers")->check(at_least(1))->capture_default_str();
  app.add_option("--hidden", m.hidden, "Hidden size")->check(at_least(1))->capture_default_str();
  app.add_option("--embed", m.embed, "Character embedding size (0: one-hot input, as d2l)")->check(at_least(0))
      ->capture_default_str();
  app.add_flag("--bidirectional", t.bidirectional, "Accepted, but see the message it prints");
  app.add_option("--dropout", m.dropout, "Dropout between layers")->check(in_range(0, 0.95))->capture_default_str();
  app.add_option("--normalizer", t.normalizer,
                 "Text cleaning: keep (as is), lower (lower-cased), d2l (Time Machine: letters and single "
                 "spaces only, lower-cased; a 28-token vocabulary)")
      ->check(CLI::IsMember(normalizers))->capture_default_str();
  app.add_option("--max-chars", t.max_chars,
                 "Train on the first N characters after cleaning (0: all); the vocabulary is built from the "
                 "whole text, as d2l's load_corpus_time_machine(max_tokens)")->check(at_least(0))->capture_default_str();
  app.add_option("--sampling", t.sampling,
                 "Minibatches: sequential (state carried across batches) or random (state reset every batch)")
      ->check(CLI::IsMember({"random", "sequential"}))->capture_default_str();
  app.add_option("--prompt", t.prompt, "Text to start samples from")->capture_default_str();
  app.add_option("--sample-chars", t.sample_chars, "Characters to generate")->check(at_least(0))->capture_default_str();
  app.add_option("--temperature", t.temperature, "Sampling temperature (0: greedy)")->check(at_least(0))
      ->capture_default_str();
}

// Trains as `s` says, writing into s.train.out_dir.
void train(Settings& s, const CLI::App& app, std::ostream& out, std::ostream& err) {
  TrainingOptions& train = s.train;
  const std::string& dir = train.out_dir;
  const std::vector<RunOption> recorded = run_options(s);
  if (std::filesystem::exists(dir) && !std::filesystem::is_directory(dir))
    fail<ValueError>("--out {} is a file; give a folder (it is created if missing)", dir);
  std::string recorded_hash;
  if (train.resume) recorded_hash = take_run_options(dir, recorded, app);
  if (train.lr == 0) train.lr = default_lr(train.optimizer);
  if (s.text.bidirectional)
    err << "char_lm: --bidirectional: the reverse direction reads the characters after position t, which include "
           "the target t+1, so a bidirectional model would learn to copy its answer and cannot generate text left "
           "to right. Training a unidirectional model instead.\n";
  if (train.threads) set_num_threads(static_cast<int>(train.threads));
  manual_seed(train.seed);
  std::filesystem::create_directories(dir);

  const std::string text = train.data.empty() ? generated_text(train.seed) : data::read_utf8_file(train.data, "--data");
  const std::string hash = text_hash(text);
  if (train.resume && hash != recorded_hash)
    fail<ValueError>("--resume: the text {} differs from the one the run in {} was trained on (hash {}, not {}); give "
                     "--data the same text", train.data.empty() ? "generated without --data" : "of --data " + train.data,
                     dir, hash, recorded_hash);
  const std::map<std::string, data::Normalizer> normalizers(normalizer_names().begin(), normalizer_names().end());
  const std::string vocab_path = dir + "/vocab.txt";
  auto [vocab, ids] = char_corpus(text, normalizers.at(s.text.normalizer), s.text.max_chars,
                                  train.resume ? std::optional(data::Vocab::load(vocab_path)) : std::nullopt);
  check_fits_in_memory(vocab.size(), s.model, train.optimizer);
  if (!train.resume) {
    // A new run replaces whatever run was in the folder: its checkpoint would not fit these options.
    std::filesystem::remove(dir + "/checkpoint.txt");
    vocab.save(vocab_path);
    write_run_options(dir, recorded, hash);
  }
  auto [train_ids, valid_ids] = data::split_tail(ids, train.valid_fraction);
  err << fmt::format("char_lm: {} characters ({} train, {} validation), vocab {}\n", ids.size(), train_ids.size(),
                     valid_ids.size(), vocab.size());

  const TrainerOptions o{.optimizer = train.optimizer, .lr = train.lr, .clip = train.clip,
                         .batch_size = train.batch_size, .num_steps = train.num_steps,
                         .sampling = s.text.sampling == "random" ? data::Sampling::Random : data::Sampling::Sequential,
                         .seed = train.seed};
  Trainer trainer(std::make_shared<CharLM>(vocab.size(), s.model), std::move(train_ids), o);
  if (train.resume) {
    trainer.resume(dir);
    err << fmt::format("char_lm: resumed {} at step {}, in epoch {}\n", dir, trainer.steps(), trainer.epoch() + 1);
  }
  // --epochs counts full passes over the training text (d2l's num_epochs); the bar's total is an
  // estimate, as an epoch's batch count depends on its random offset by at most one.
  const auto done = [&] { return train.steps ? trainer.steps() >= train.steps : trainer.epoch() >= train.epochs; };
  const std::size_t total = train.steps ? train.steps : train.epochs * trainer.batches_per_epoch();
  const std::string csv_path = dir + "/metrics.csv", svg_path = dir + "/loss.svg";
  MetricsCsv csv(csv_path, train.resume);
  ProgressBar bar(total, err, &err == &std::cerr && is_terminal(stderr), train.log_interval, trainer.steps());
  const auto start = std::chrono::steady_clock::now();
  double window_loss = 0, grad_norm = 0;  // the window: steps since the last row of metrics.csv
  std::size_t window_steps = 0;

  // One row of metrics.csv; with `validate`, the validation loss too, and a line on the console.
  const auto log = [&](double train_loss, bool validate, const std::string& what) {
    const double valid = validate ? evaluate(trainer.model(), valid_ids, std::min<std::size_t>(train.batch_size, 16),
                                             train.num_steps)
                                  : NAN;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    csv.write({trainer.epoch(), trainer.steps(), train_loss, valid, trainer.optimizer().lr(), grad_norm, seconds});
    window_loss = 0;
    window_steps = 0;
    if (!validate) return;
    std::string line = fmt::format("{} step {} ({:.1f} s): train perplexity {:.3f}", what, trainer.steps(), seconds,
                                   std::exp(train_loss));
    if (!std::isnan(valid)) line += fmt::format(", validation perplexity {:.3f}", std::exp(valid));
    bar.message(line);
    write_line_plot_svg(svg_path, loss_curves(MetricsCsv::read(csv_path)),
                        {"char LM (" + s.model.model + ")", "step", "loss (nats/char)"});
  };

  while (!done()) {
    const auto r = trainer.step();
    if (!r) {
      log(trainer.epoch_loss(), true, fmt::format("epoch {}", trainer.epoch()));
      continue;
    }
    window_loss += r->loss;
    grad_norm = r->grad_norm;
    ++window_steps;
    bar.update(trainer.steps(), r->loss, r->tokens);
    if (trainer.steps() % train.metrics_every == 0 && !done()) log(window_loss / static_cast<double>(window_steps), false, "");
    if (train.checkpoint_every && trainer.steps() % train.checkpoint_every == 0) trainer.save(dir);
  }
  // A run that stops mid-epoch ends on a row of its own, with validation.
  if (window_steps)
    log(window_loss / static_cast<double>(window_steps), true, fmt::format("epoch {} (unfinished)", trainer.epoch() + 1));
  bar.finish();
  trainer.save(dir);
  err << fmt::format("char_lm: wrote {}, {} and a checkpoint (model.npz, optimizer.npz, checkpoint.txt) in {}; "
                     "continue with --out {} --resume\n",
                     csv_path, svg_path, dir, dir);
  auto& g = trainer.sample_generator();
  out << "greedy:      " << sample(trainer.model(), vocab, s.text.prompt, s.text.sample_chars, 0, g) << "\n";
  out << "temperature: " << sample(trainer.model(), vocab, s.text.prompt, s.text.sample_chars, s.text.temperature, g)
      << "\n";
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"Character-level language model (RNN/GRU/LSTM) with tapegrad", "char_lm"};
  Settings s;
  s.train.optimizer = "sgd";  // d2l's chapter 8/9 settings
  s.train.num_steps = 35;
  std::vector<std::string> normalizers;
  for (const auto& [name, normalizer] : normalizer_names()) normalizers.push_back(name);
  add_options(app, s, normalizers);
  return run_program(app, args, out, err, "lower --hidden, --layers, --batch-size or --num-steps",
                     [&] { train(s, app, out, err); });
}

}  // namespace tg::examples::char_lm
