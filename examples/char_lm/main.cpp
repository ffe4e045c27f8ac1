// Character-level language model: embedding (or one-hot) -> RNN/GRU/LSTM -> linear head, trained
// with truncated BPTT on any text file (or a generated one), with validation perplexity, sampling
// and resumable checkpoints. The model and training loop live in char_lm.hpp.
//
//     char_lm --data ../shared/data/timemachine.txt --model lstm --layers 2 --hidden 256 --steps 2000
//     char_lm --out runs/tm --resume --steps 4000       # continues the run above
//     char_lm --data ../shared/data/timemachine.txt --normalizer d2l --max-chars 10000 --embed 0
//       --model rnn --hidden 512 --valid-fraction 0 --epochs 500    # d2l's Time Machine setting
#include "char_lm/char_lm.hpp"
#include "common/cli.hpp"
#include "common/metrics.hpp"
#include "common/progress.hpp"
#include "common/svg_plot.hpp"

#include <tapegrad.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

namespace {

namespace data = tg::data;
namespace ex = tg::examples;
namespace lm = tg::examples::char_lm;

struct TextOptions {
  std::string normalizer = "keep";
  std::size_t max_chars = 0;
  std::string sampling = "sequential";
  std::string prompt = "the ";
  std::size_t sample_chars = 200;
  double temperature = 0.8;
  bool bidirectional = false;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Character-level language model (RNN/GRU/LSTM) with tapegrad"};
  ex::TrainingOptions train;
  train.optimizer = "sgd";
  train.lr = 1.0;
  train.num_steps = 35;
  lm::ModelOptions m;
  TextOptions t;
  const std::map<std::string, data::Normalizer> normalizers(lm::normalizer_names().begin(), lm::normalizer_names().end());
  std::vector<std::string> normalizer_choices;
  for (const auto& [name, normalizer] : normalizers) normalizer_choices.push_back(name);
  ex::add_training_options(app, train);
  app.add_option("--model", m.model, "Recurrent layer")->check(CLI::IsMember({"rnn", "gru", "lstm"}))->capture_default_str();
  app.add_option("--layers", m.layers, "Stacked layers")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--hidden", m.hidden, "Hidden size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--embed", m.embed, "Character embedding size (0: one-hot input, as d2l)")->capture_default_str();
  app.add_flag("--bidirectional", t.bidirectional, "Accepted, but see the message it prints");
  app.add_option("--dropout", m.dropout, "Dropout between layers")->check(CLI::Range(0.0, 0.95))->capture_default_str();
  app.add_option("--normalizer", t.normalizer,
                 "Text cleaning: keep (as is), lower (lower-cased), d2l (Time Machine: letters and single "
                 "spaces only, lower-cased; a 28-token vocabulary)")
      ->check(CLI::IsMember(normalizer_choices))->capture_default_str();
  app.add_option("--max-chars", t.max_chars,
                 "Train on the first N characters after cleaning (0: all); the vocabulary is built from the "
                 "whole text, as d2l's load_corpus_time_machine(max_tokens)")->capture_default_str();
  app.add_option("--sampling", t.sampling,
                 "Minibatches: sequential (state carried across batches) or random (state reset every batch)")
      ->check(CLI::IsMember({"random", "sequential"}))->capture_default_str();
  app.add_option("--prompt", t.prompt, "Text to start samples from")->capture_default_str();
  app.add_option("--sample-chars", t.sample_chars, "Characters to generate")->capture_default_str();
  app.add_option("--temperature", t.temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (t.bidirectional)
      std::cerr << "char_lm: --bidirectional: the reverse direction reads the characters after position t, "
                   "which include the target t+1, so a bidirectional model would learn to copy its answer and "
                   "cannot generate text left to right. Training a unidirectional model instead.\n";
    if (train.threads) tg::set_num_threads(static_cast<int>(train.threads));
    tg::manual_seed(train.seed);
    std::filesystem::create_directories(train.out_dir);

    const std::string text = train.data.empty() ? lm::generated_text(train.seed)
                                                : data::read_utf8_file(train.data, "char_lm");
    const std::string vocab_path = train.out_dir + "/vocab.txt";
    auto [vocab, ids] = lm::char_corpus(text, normalizers.at(t.normalizer), t.max_chars,
                                        train.resume ? std::optional(data::Vocab::load(vocab_path)) : std::nullopt);
    if (!train.resume) vocab.save(vocab_path);
    auto [train_ids, valid_ids] = data::split_tail(ids, train.valid_fraction);
    std::cerr << fmt::format("char_lm: {} characters ({} train, {} validation), vocab {}\n", ids.size(),
                             train_ids.size(), valid_ids.size(), vocab.size());

    lm::TrainerOptions o{.optimizer = train.optimizer, .lr = train.lr, .clip = train.clip,
                         .batch_size = train.batch_size, .num_steps = train.num_steps,
                         .sampling = t.sampling == "random" ? data::Sampling::Random : data::Sampling::Sequential,
                         .seed = train.seed};
    lm::Trainer trainer(std::make_shared<lm::CharLM>(vocab.size(), m), std::move(train_ids), o);
    if (train.resume) {
      trainer.resume(train.out_dir);
      std::cerr << fmt::format("char_lm: resumed at step {} (epoch {})\n", trainer.steps(), trainer.epoch());
    }
    // --epochs counts full passes over the training text (d2l's num_epochs); the bar's total is an
    // estimate, as an epoch's batch count depends on its random offset by at most one.
    const auto done = [&] { return train.steps ? trainer.steps() >= train.steps : trainer.epoch() >= train.epochs; };
    const std::size_t total = train.steps ? train.steps : train.epochs * trainer.batches_per_epoch();
    ex::MetricsCsv csv(train.out_dir + "/metrics.csv", train.resume);
    ex::ProgressBar bar(total, std::cerr, ex::is_terminal(stderr), train.log_interval, trainer.steps());
    const auto start = std::chrono::steady_clock::now();
    double epoch_loss = 0, grad_norm = 0;
    std::size_t epoch_batches = 0;

    const auto end_epoch = [&](std::size_t epoch) {
      const double valid = lm::evaluate(trainer.model(), valid_ids, std::min<std::size_t>(train.batch_size, 16),
                                        train.num_steps);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double loss = epoch_loss / static_cast<double>(std::max<std::size_t>(epoch_batches, 1));
      csv.write({epoch, trainer.steps(), loss, valid, trainer.optimizer().lr(), grad_norm, seconds});
      std::string line = fmt::format("epoch {} step {} ({:.1f} s): train perplexity {:.3f}", epoch, trainer.steps(),
                                     seconds, std::exp(loss));
      if (!std::isnan(valid)) line += fmt::format(", validation perplexity {:.3f}", std::exp(valid));
      bar.message(line);
      ex::write_line_plot_svg(train.out_dir + "/loss.svg", ex::loss_curves(ex::MetricsCsv::read(train.out_dir + "/metrics.csv")),
                              {"char LM (" + m.model + ")", "epoch", "loss (nats/char)"});
      epoch_loss = 0;
      epoch_batches = 0;
    };

    while (!done()) {
      const auto r = trainer.step();
      if (!r) {
        end_epoch(trainer.epoch());
        continue;
      }
      epoch_loss += r->loss;
      grad_norm = r->grad_norm;
      ++epoch_batches;
      bar.update(trainer.steps(), r->loss, r->tokens);
      if (train.checkpoint_every && trainer.steps() % train.checkpoint_every == 0) trainer.save(train.out_dir);
    }
    if (epoch_batches) end_epoch(trainer.epoch() + 1);
    bar.finish();
    trainer.save(train.out_dir);
    auto& g = trainer.sample_generator();
    std::cout << "greedy:      " << lm::sample(trainer.model(), vocab, t.prompt, t.sample_chars, 0, g) << "\n";
    std::cout << "temperature: " << lm::sample(trainer.model(), vocab, t.prompt, t.sample_chars, t.temperature, g) << "\n";
  } catch (const tg::Error& e) {
    std::cerr << "char_lm: " << e.what() << "\n";
    return 1;
  }
}
