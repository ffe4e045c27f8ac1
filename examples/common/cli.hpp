#pragma once
// The command-line options every training example shares, parsed with CLI11.
#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tg::examples {

/// Settings of a training run that do not depend on the model.
struct TrainingOptions {
  std::string data;                 ///< input file; empty: the example's built-in data
  std::string optimizer = "adam";   ///< sgd | adam
  double lr = 2e-3;
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
  bool resume = false;              ///< continue from out_dir's checkpoint
  double log_interval = 10;         ///< seconds between progress lines when not on a terminal
};

/// Adds --data, --optimizer, --lr, --clip, --batch-size, --num-steps, --steps, --epochs,
/// --valid-fraction, --threads, --seed, --out, --checkpoint-every, --resume and --log-interval to
/// `app`, bound to `options` (whose values are the defaults shown in --help).
///
///     CLI::App app{"char LM"};
///     tg::examples::TrainingOptions train;
///     tg::examples::add_training_options(app, train);
///     CLI11_PARSE(app, argc, argv);
void add_training_options(CLI::App& app, TrainingOptions& options);

}  // namespace tg::examples
