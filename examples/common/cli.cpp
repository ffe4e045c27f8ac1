#include "common/cli.hpp"

namespace tg::examples {

void add_training_options(CLI::App& app, TrainingOptions& o) {
  app.add_option("--data", o.data, "Training text file (UTF-8); without it, built-in data")->check(CLI::ExistingFile);
  app.add_option("--optimizer", o.optimizer, "Optimizer")->check(CLI::IsMember({"sgd", "adam"}))->capture_default_str();
  app.add_option("--lr", o.lr, "Learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--clip", o.clip, "Max global gradient norm (0: no clipping)")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Sequences per batch")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--num-steps", o.num_steps, "Time steps per sequence")->check(CLI::PositiveNumber)->capture_default_str();
  auto* steps = app.add_option("--steps", o.steps, "Optimizer steps (instead of --epochs)")->check(CLI::PositiveNumber);
  app.add_option("--epochs", o.epochs, "Passes over the training data")->check(CLI::PositiveNumber)->capture_default_str()->excludes(steps);
  app.add_option("--valid-fraction", o.valid_fraction, "Share of the data held out for validation")
      ->check(CLI::Range(0.0, 0.9))->capture_default_str();
  app.add_option("--threads", o.threads, "Worker threads (0: default)")->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed (initialization, batching, sampling)")->capture_default_str();
  app.add_option("--out", o.out_dir, "Folder for metrics.csv, loss.svg and checkpoints")->capture_default_str();
  app.add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints (0: only at the end)")->capture_default_str();
  app.add_flag("--resume", o.resume, "Continue from the checkpoint in --out");
  app.add_option("--log-interval", o.log_interval, "Seconds between progress lines when not on a terminal")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
}

}  // namespace tg::examples
