#include "translate/program.hpp"

#include "common/cli.hpp"
#include "common/metrics.hpp"
#include "common/progress.hpp"
#include "common/run_options.hpp"
#include "common/svg_plot.hpp"
#include "translate/translate.hpp"

#include <tapegrad.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace tg::examples::translate {
namespace {

struct TranslateOptions {
  std::size_t max_pairs = 0;
  std::size_t min_freq = 2;
  std::size_t beam = 1;
  std::size_t max_length = 0;  // 0: twice num_steps
  std::size_t eval_sentences = 2000;
  std::vector<std::string> sentences;  // --translate
  std::string heatmap;
  std::vector<std::string> compare;
};

struct Settings {
  TrainingOptions train;
  ModelOptions model;
  TranslateOptions text;
};

// --data is recorded but not compared: another copy of the same file is fine, its hash is compared.
std::vector<RunOption> run_options(Settings& s) {
  return {run_option("--data", s.train.data, false), run_option("--max-pairs", s.text.max_pairs),
          run_option("--min-freq", s.text.min_freq),     run_option("--valid-fraction", s.train.valid_fraction),
          run_option("--model", s.model.model),          run_option("--cell", s.model.cell),
          run_option("--layers", s.model.layers),        run_option("--hidden", s.model.hidden),
          run_option("--embed", s.model.embed),          run_option("--dropout", s.model.dropout),
          run_option("--bidirectional", s.model.bidirectional), run_option("--lr", s.train.lr),
          run_option("--clip", s.train.clip),            run_option("--batch-size", s.train.batch_size),
          run_option("--num-steps", s.train.num_steps),  run_option("--seed", s.train.seed)};
}

void add_options(CLI::App& app, Settings& s) {
  add_training_options(app, s.train);
  ModelOptions& m = s.model;
  TranslateOptions& t = s.text;
  app.add_option("--model", m.model, "Decoder: seq2seq (fixed context) or attention (Bahdanau)")
      ->check(CLI::IsMember({"seq2seq", "attention"}))->capture_default_str();
  app.add_option("--cell", m.cell, "Recurrent cell")->check(CLI::IsMember({"gru", "lstm", "rnn"}))->capture_default_str();
  app.add_option("--layers", m.layers, "Stacked layers")->check(at_least(1))->capture_default_str();
  app.add_option("--hidden", m.hidden, "Hidden size per encoder direction")->check(at_least(1))->capture_default_str();
  app.add_option("--embed", m.embed, "Word embedding size")->check(at_least(1))->capture_default_str();
  app.add_option("--dropout", m.dropout, "Dropout between layers")->check(in_range(0, 0.95))->capture_default_str();
  app.add_flag("--bidirectional", m.bidirectional, "Bidirectional encoder (the decoder gets 2 * hidden units)");
  app.add_option("--max-pairs", t.max_pairs, "Read the first N pairs of --data (0: all)")->check(at_least(0))
      ->capture_default_str();
  app.add_option("--min-freq", t.min_freq, "Words seen fewer times in training become <unk>")->check(at_least(1))
      ->capture_default_str();
  app.add_option("--beam", t.beam, "Beam size (1: greedy)")->check(at_least(1))->capture_default_str();
  app.add_option("--max-length", t.max_length, "Most output tokens (0: twice --num-steps)")->check(at_least(0))
      ->capture_default_str();
  app.add_option("--eval-sentences", t.eval_sentences, "Held-out sentences scored by BLEU (0: all)")
      ->check(at_least(0))->capture_default_str();
  app.add_option("--translate", t.sentences,
                 "English sentences to translate after training, or with the run in --out when --data is not "
                 "given; '-' reads one a line from standard input");
  app.add_option("--heatmap", t.heatmap, "SVG of the attention weights of the first --translate sentence");
  app.add_option("--compare", t.compare,
                 "Runs (their --out folders) whose BLEU by source length goes into one CSV and SVG in --out");
}

std::string bleu_csv_header() { return "model,length,sentences,bleu"; }

// Writes <out>/bleu_by_length.csv and .svg, one series per model.
void write_bleu_by_length(const std::string& dir, const std::vector<std::pair<std::string, BleuReport>>& reports) {
  std::ofstream csv(dir + "/bleu_by_length.csv");
  csv << bleu_csv_header() << '\n';
  std::vector<Series> series;
  for (const auto& [name, report] : reports) {
    Series line{name, {}, {}, ""};
    for (const auto& row : report.by_length) {
      csv << fmt::format("{},{},{},{:.6f}\n", name, row.length, row.sentences, row.bleu);
      line.x.push_back(static_cast<double>(row.length));
      line.y.push_back(row.bleu);
    }
    series.push_back(std::move(line));
  }
  csv.close();
  if (!csv) fail<IoError>("cannot write {}/bleu_by_length.csv", dir);
  write_line_plot_svg(dir + "/bleu_by_length.svg", series,
                      {"held-out corpus BLEU-4 by English sentence length", "source length (words)", "BLEU"});
}

// The rows of a run's bleu_by_length.csv, named by its model.
std::pair<std::string, BleuReport> read_bleu_by_length(const std::string& dir) {
  const std::string path = dir + "/bleu_by_length.csv";
  std::ifstream file(path);
  if (!file) fail<IoError>("--compare: {} cannot be read (train a run with --out {} first)", path, dir);
  std::pair<std::string, BleuReport> out;
  std::string line;
  std::getline(file, line);
  if (line != bleu_csv_header()) fail<IoError>("{}:1: expected the header '{}'", path, bleu_csv_header());
  for (std::size_t number = 2; std::getline(file, line); ++number) {
    std::istringstream in(line);
    std::string name, length, sentences, bleu;
    BleuReport::Row row;
    try {
      if (!std::getline(in, name, ',') || !std::getline(in, length, ',') || !std::getline(in, sentences, ',') ||
          !std::getline(in, bleu))
        throw std::invalid_argument("fields");
      row = {std::stoul(length), std::stoul(sentences), std::stod(bleu)};
    } catch (const std::exception&) {
      fail<IoError>("{}:{}: expected model,length,sentences,bleu, got '{}'", path, number, line);
    }
    out.first = name;
    out.second.by_length.push_back(row);
  }
  return out;
}

std::vector<std::string> read_sentences(const std::vector<std::string>& given, std::istream& in) {
  std::vector<std::string> sentences;
  for (const auto& s : given) {
    if (s != "-") {
      sentences.push_back(s);
      continue;
    }
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) sentences.push_back(line);
  }
  return sentences;
}

// Refused before training, not after it.
void check_heatmap(const Settings& s) {
  if (!s.text.heatmap.empty() && s.model.model != "attention")
    fail<ValueError>("--heatmap: the {} model has no attention weights; train with --model attention", s.model.model);
}

// Translates the --translate sentences: one line each on `out`, and the heatmap of the first.
void translate_sentences(Settings& s, nn::EncoderDecoder& model, const data::Vocab& source_vocab,
                         const data::Vocab& target_vocab, std::istream& in, std::ostream& out) {
  const auto sentences = read_sentences(s.text.sentences, in);
  if (sentences.empty()) return;
  std::vector<std::vector<Index>> sources;
  for (const auto& sentence : sentences) sources.push_back(source_vocab.encode(words(sentence)));
  const auto translated = translate(model, target_vocab, sources, s.text.beam, s.text.max_length);
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    std::string line;
    for (const auto& w : translated[i].words) line += (line.empty() ? "" : " ") + w;
    out << sentences[i] << "\t" << line << '\n';
  }
  if (s.text.heatmap.empty()) return;
  const auto& first = translated.front();
  Heatmap map;
  map.column_labels = source_vocab.decode(sources.front());
  map.column_labels.push_back(data::kEos);
  map.row_labels = target_vocab.decode(first.raw.tokens);
  for (std::size_t r = 0; r < first.raw.attention.shape(0); ++r)
    map.weights.emplace_back(first.raw.attention.begin() + static_cast<std::ptrdiff_t>(r * first.raw.attention.shape(1)),
                             first.raw.attention.begin() + static_cast<std::ptrdiff_t>((r + 1) * first.raw.attention.shape(1)));
  write_heatmap_svg(s.text.heatmap, map, "attention: " + sentences.front());
}

// The pairs of --data, the held-out split (seeded shuffle: the file is sorted by length) and the
// vocabularies of the training part (or the run's, when resuming).
struct Data {
  Corpus train, valid;
  std::string hash;
};

Data load_data(const Settings& s, const std::string& dir, bool saved_vocabs) {
  const std::string text = data::read_utf8_file(s.train.data, "--data");
  const auto pairs = data::ParallelCorpus::parse(text, s.train.data, s.text.max_pairs);
  auto [train_rows, valid_rows] = data::split_indices(pairs.size(), s.train.valid_fraction, s.train.seed);
  const auto subset = [&](const std::vector<std::size_t>& rows) {
    data::ParallelCorpus part;
    for (std::size_t r : rows) part.source.push_back(pairs.source[r]), part.target.push_back(pairs.target[r]);
    return part;
  };
  const auto train_pairs = subset(train_rows), valid_pairs = subset(valid_rows);
  auto [source_vocab, target_vocab] =
      saved_vocabs ? std::pair(data::Vocab::load(dir + "/source_vocab.txt"), data::Vocab::load(dir + "/target_vocab.txt"))
                   : build_vocabs(train_pairs, s.text.min_freq);
  return {encode(train_pairs, source_vocab, target_vocab), encode(valid_pairs, source_vocab, target_vocab),
          text_hash(text)};
}

void print_bleu(const BleuReport& report, const Settings& s, std::ostream& err) {
  err << fmt::format("translate: held-out corpus BLEU-4 {:.4f} over {} sentences ({}, beam {})\n", report.corpus,
                     report.sentences, s.model.model, s.text.beam);
}

// Trains as `s` says, writing into s.train.out_dir (rank 0 of `replicas` only).
void train(Settings& s, const CLI::App& app, std::istream& in, std::ostream& out_stream, std::ostream& err_stream,
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
  check_heatmap(s);
  if (train.data.empty()) fail<ValueError>("--data is required to train (a file of English<TAB>French lines)");
  if (train.optimizer != "adam") fail<ValueError>("--optimizer {}: translate trains with adam", train.optimizer);
  if (train.lr == 0) train.lr = 0.005;  // d2l's
  if (train.threads) set_num_threads(static_cast<int>(train.threads));
  manual_seed(train.seed);
  std::filesystem::create_directories(dir);
  Data d = load_data(s, dir, train.resume);
  if (train.resume && d.hash != recorded_hash)
    fail<ValueError>("--resume: --data {} differs from the file the run in {} was trained on", train.data, dir);
  if (!train.resume && leader) {
    std::filesystem::remove(dir + "/checkpoint.txt");  // a new run replaces the folder's
    d.train.source_vocab.save(dir + "/source_vocab.txt");
    d.train.target_vocab.save(dir + "/target_vocab.txt");
    write_run_options(dir, recorded, d.hash);
  }
  err << fmt::format("translate: {} training and {} held-out pairs, vocabularies {} (English) and {} (French)\n",
                     d.train.size(), d.valid.size(), d.train.source_vocab.size(), d.train.target_vocab.size());

  Trainer trainer(make_model(d.train.source_vocab.size(), d.train.target_vocab.size(), s.model), d.train,
                  {.lr = train.lr, .clip = train.clip, .batch_size = train.batch_size, .num_steps = train.num_steps,
                   .seed = train.seed},
                  replicas);
  if (replicas->size() > 1)
    err << fmt::format("translate: data-parallel on {} processes, each with its share of every batch of {} pairs\n",
                       replicas->size(), train.batch_size);
  if (train.resume) {
    trainer.resume(dir);
    err << fmt::format("translate: resumed {} at step {}\n", dir, trainer.steps());
  }
  std::size_t parameters = 0;
  for (const auto& [name, p] : trainer.model().named_parameters()) parameters += p.numel();
  err << fmt::format("translate: {} model, {} parameters\n", s.model.model, parameters);

  const auto done = [&] { return train.steps ? trainer.steps() >= train.steps : trainer.epoch() >= train.epochs; };
  const std::size_t total = train.steps ? train.steps : train.epochs * trainer.batches_per_epoch();
  const std::string csv_path = dir + "/metrics.csv", svg_path = dir + "/loss.svg";
  std::optional<MetricsCsv> csv;
  if (leader) csv.emplace(csv_path, train.resume);
  ProgressBar bar(total, err, &err == &std::cerr && is_terminal(stderr), train.log_interval, trainer.steps());
  const auto start = std::chrono::steady_clock::now();
  double window_loss = 0, grad_norm = 0;
  std::size_t window_steps = 0;
  // Rank 0's work alone: the others go on to the next step and wait there.
  const auto log = [&](bool validate) {
    if (!leader) return;
    const double valid = validate ? evaluate_loss(trainer.model(), d.valid, train.num_steps, 256) : NAN;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    csv->write({trainer.epoch(), trainer.steps(), window_loss / static_cast<double>(window_steps), valid,
               trainer.optimizer().lr(), grad_norm, seconds});
    if (validate) {
      bar.message(fmt::format("step {} ({:.1f} s): train loss {:.4f}, held-out loss {:.4f}", trainer.steps(), seconds,
                              window_loss / static_cast<double>(window_steps), valid));
      write_line_plot_svg(svg_path, loss_curves(MetricsCsv::read(csv_path)),
                          {"translate (" + s.model.model + ")", "step", "loss (nats/token)"});
    }
    window_loss = 0;
    window_steps = 0;
  };
  while (!done()) {
    const auto r = trainer.step();
    if (!r) {
      if (window_steps) log(true);
      continue;
    }
    window_loss += r->loss;
    grad_norm = r->grad_norm;
    ++window_steps;
    bar.update(trainer.steps(), r->loss, r->tokens);
    if (trainer.steps() % train.metrics_every == 0 && !done()) log(false);
    if (train.checkpoint_every && trainer.steps() % train.checkpoint_every == 0) trainer.save(dir);
  }
  if (window_steps) log(true);
  bar.finish();
  trainer.save(dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  err << fmt::format("translate: trained {} steps in {:.1f} s; wrote {}, {} and a checkpoint in {}\n", trainer.steps(),
                     seconds, csv_path, svg_path, dir);
  if (!leader) return;
  if (s.text.max_length == 0) s.text.max_length = 2 * train.num_steps;
  if (d.valid.size()) {
    const BleuReport report = evaluate_bleu(trainer.model(), d.valid, s.text.beam, s.text.max_length,
                                            s.text.eval_sentences);
    print_bleu(report, s, err);
    write_bleu_by_length(dir, {{s.model.model, report}});
  }
  translate_sentences(s, trainer.model(), d.train.source_vocab, d.train.target_vocab, in, out);
}

// --translate without --data: the trained run in --out translates.
void translate_only(Settings& s, const CLI::App& app, std::istream& in, std::ostream& out) {
  const std::string& dir = s.train.out_dir;
  Trainer::require_checkpoint(dir);
  const std::vector<RunOption> recorded = run_options(s);
  take_run_options(dir, recorded, app);
  check_heatmap(s);
  const auto source_vocab = data::Vocab::load(dir + "/source_vocab.txt");
  const auto target_vocab = data::Vocab::load(dir + "/target_vocab.txt");
  auto model = make_model(source_vocab.size(), target_vocab.size(), s.model);
  model->load_state_dict(load_npz(dir + "/model.npz"));
  if (s.text.max_length == 0) s.text.max_length = 2 * s.train.num_steps;
  translate_sentences(s, *model, source_vocab, target_vocab, in, out);
}

void run_parsed(Settings& s, const CLI::App& app, std::istream& in, std::ostream& out, std::ostream& err,
                const std::shared_ptr<Replicas>& replicas) {
  const bool translates_a_saved_run = !s.text.sentences.empty() && s.train.data.empty() && !s.train.resume;
  if (s.text.compare.empty() && !translates_a_saved_run) return train(s, app, in, out, err, replicas);
  if (replicas->rank() != 0) return;  // comparing or translating is one process's work
  if (!s.text.compare.empty()) {
    std::vector<std::pair<std::string, BleuReport>> reports;
    for (const auto& run : s.text.compare) reports.push_back(read_bleu_by_length(run));
    std::filesystem::create_directories(s.train.out_dir);
    write_bleu_by_length(s.train.out_dir, reports);
    err << fmt::format("translate: wrote {0}/bleu_by_length.csv and {0}/bleu_by_length.svg\n", s.train.out_dir);
    return;
  }
  translate_only(s, app, in, out);
}

}  // namespace

int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err,
        std::shared_ptr<Replicas> replicas) {
  CLI::App app{"English->French translation (seq2seq or Bahdanau attention) with tapegrad", "translate"};
  Settings s;
  s.train.batch_size = 64;  // d2l's chapter 10 settings
  s.train.num_steps = 10;
  add_options(app, s);
  // A failure names the replica it happened on; tg::distributed's own errors say so already.
  const std::string where = replicas->size() > 1 ? fmt::format("rank {} of {}: ", replicas->rank(), replicas->size()) : "";
  return run_cli(app, args, out, err, "lower --hidden, --layers or --batch-size",
                 [&] { run_parsed(s, app, in, out, err, replicas); },
                 {.where = where, .print_help = replicas->rank() == 0});
}

}  // namespace tg::examples::translate
