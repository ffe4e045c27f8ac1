#pragma once
// The command-line options every training example shares, parsed with CLI11.
#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace tg::examples {

/// Settings of a training run that do not depend on the model.
struct TrainingOptions {
  std::string data;                 ///< input file; empty: the example's built-in data
  std::string optimizer = "adam";   ///< sgd | adam
  double lr = 0;                    ///< 0: default_lr(optimizer)
  double clip = 1.0;                ///< max global gradient norm; 0 disables clipping
  std::size_t batch_size = 32;
  std::size_t num_steps = 64;       ///< tokens per sequence (BPTT length)
  std::size_t steps = 0;            ///< optimizer steps; 0: use epochs
  std::size_t epochs = 1;
  double valid_fraction = 0.1;
  std::size_t threads = 0;          ///< 0: tapegrad's default
  std::uint64_t seed = 0;
  std::string out_dir = "runs";     ///< metrics.csv, loss.svg, checkpoints
  std::size_t checkpoint_every = 0; ///< steps between checkpoints; 0: only at the end
  std::size_t metrics_every = 50;   ///< steps between metrics rows (besides one per epoch)
  bool resume = false;              ///< continue from out_dir's checkpoint
  double log_interval = 10;         ///< seconds between progress lines when not on a terminal
};

/// The learning rate that suits `optimizer`: 1 for SGD (d2l's, with gradient clipping), 0.002 for
/// Adam (whose steps do not scale with the gradient, so SGD's 1 diverges).
double default_lr(const std::string& optimizer);

/// Adds --data, --optimizer, --lr, --clip, --batch-size, --num-steps, --steps, --epochs,
/// --valid-fraction, --threads, --seed, --out, --checkpoint-every, --metrics-every, --resume and
/// --log-interval to `app`, bound to `options` (whose values are the defaults shown in --help).
/// After parsing, an unset lr is 0: use default_lr.
///
///     CLI::App app{"char LM"};
///     tg::examples::TrainingOptions train;
///     tg::examples::add_training_options(app, train);
///     CLI11_PARSE(app, argc, argv);
void add_training_options(CLI::App& app, TrainingOptions& options);

/// Validators whose messages read as "--layers: 0 is less than 1" (CLI11's own print
/// "0.000000 to 1797693...", a 309-digit bound). `at_least(1)` for counts, `above(0)` for rates,
/// `in_range(0, 0.95)` for fractions.
CLI::Validator at_least(double min);
CLI::Validator above(double min);
CLI::Validator in_range(double min, double max);

/// A program's main as a function: parses `args` (without the program name) into `app`, then runs
/// `body`. --help prints the help on `out` and returns 0; a parse error or any exception from
/// `body` is one line "<app name>: <what was wrong>" on `err` and a non-zero exit;
/// std::bad_alloc reads "out of memory (std::bad_alloc); <out_of_memory_hint>".
///
///     return tg::examples::run_program(app, args, out, err, "lower --hidden", [&] { train(s, out, err); });
int run_program(CLI::App& app, const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                const std::string& out_of_memory_hint, const std::function<void()>& body);

}  // namespace tg::examples
