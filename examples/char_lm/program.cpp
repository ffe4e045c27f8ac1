#include "char_lm/program.hpp"

#include "char_lm/char_lm.hpp"
#include "common/cli.hpp"
#include "common/metrics.hpp"
#include "common/progress.hpp"
#include "common/run_options.hpp"
#include "common/svg_plot.hpp"

#include <tapegrad.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

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

// --data is recorded but not compared: another copy of the same text is fine, and the text's hash
// is what is compared.
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

// Trains as `s` says, writing into s.train.out_dir (rank 0 of `replicas` only).
void train(Settings& s, const CLI::App& app, std::ostream& out_stream, std::ostream& err_stream,
           const std::shared_ptr<Replicas>& replicas) {
  const bool leader = replicas->rank() == 0;
  std::ostream discard(nullptr);  // the other replicas print nothing
  std::ostream& out = leader ? out_stream : discard;
  std::ostream& err = leader ? err_stream : discard;
  TrainingOptions& train = s.train;
  const std::string& dir = train.out_dir;
  const std::vector<RunOption> recorded = run_options(s);
  if (std::filesystem::exists(dir) && !std::filesystem::is_directory(dir))
    fail<ValueError>("--out {} is a file; give a folder (it is created if missing)", dir);
  std::string recorded_hash;
  if (train.resume) {
    Trainer::require_checkpoint(dir);
    recorded_hash = take_run_options(dir, recorded, app);
  }
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
  if (!train.resume && leader) {
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
  Trainer trainer(std::make_shared<CharLM>(vocab.size(), s.model), std::move(train_ids), o, replicas);
  if (replicas->size() > 1)
    err << fmt::format("char_lm: data-parallel on {} processes, {} rows of each batch of {} per process\n",
                       replicas->size(), train.batch_size / static_cast<std::size_t>(replicas->size()),
                       train.batch_size);
  if (train.resume) {
    trainer.resume(dir);
    err << fmt::format("char_lm: resumed {} at step {}, in epoch {}\n", dir, trainer.steps(), trainer.epoch() + 1);
  }
  // --epochs counts full passes over the training text (d2l's num_epochs); the bar's total is an
  // estimate, as an epoch's batch count depends on its random offset by at most one.
  const auto done = [&] { return train.steps ? trainer.steps() >= train.steps : trainer.epoch() >= train.epochs; };
  const std::size_t total = train.steps ? train.steps : train.epochs * trainer.batches_per_epoch();
  const std::string csv_path = dir + "/metrics.csv", svg_path = dir + "/loss.svg";
  std::optional<MetricsCsv> csv;
  if (leader) csv.emplace(csv_path, train.resume);
  ProgressBar bar(total, err, &err == &std::cerr && is_terminal(stderr), train.log_interval, trainer.steps());
  const auto start = std::chrono::steady_clock::now();
  double window_loss = 0, grad_norm = 0;  // the window: steps since the last row of metrics.csv
  std::size_t window_steps = 0;

  // One row of metrics.csv; with `validate`, the validation loss too, and a line on the console.
  // Rank 0's work alone: the others go on to the next step and wait there.
  const auto log = [&](double train_loss, bool validate, const std::string& what) {
    if (!leader) return;
    const double valid = validate ? evaluate(trainer.model(), valid_ids, std::min<std::size_t>(train.batch_size, 16),
                                             train.num_steps)
                                  : NAN;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    csv->write({trainer.epoch(), trainer.steps(), train_loss, valid, trainer.optimizer().lr(), grad_norm, seconds});
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
  if (!leader) return;
  auto& g = trainer.sample_generator();
  out << "greedy:      " << sample(trainer.model(), vocab, s.text.prompt, s.text.sample_chars, 0, g) << "\n";
  out << "temperature: " << sample(trainer.model(), vocab, s.text.prompt, s.text.sample_chars, s.text.temperature, g)
      << "\n";
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        std::shared_ptr<Replicas> replicas) {
  CLI::App app{"Character-level language model (RNN/GRU/LSTM) with tapegrad", "char_lm"};
  Settings s;
  s.train.optimizer = "sgd";  // d2l's chapter 8/9 settings
  s.train.num_steps = 35;
  std::vector<std::string> normalizers;
  for (const auto& [name, normalizer] : normalizer_names()) normalizers.push_back(name);
  add_options(app, s, normalizers);
  // A failure names the replica it happened on; tg::distributed's own errors say so already.
  const std::string where = replicas->size() > 1 ? fmt::format("rank {} of {}: ", replicas->rank(), replicas->size()) : "";
  return run_cli(app, args, out, err, "lower --hidden, --layers, --batch-size or --num-steps",
                 [&] { train(s, app, out, err, replicas); }, {.where = where, .print_help = replicas->rank() == 0});
}

}  // namespace tg::examples::char_lm
