#include "common/cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <new>
#include <functional>

namespace tg::examples {
namespace {

// A number validator: `rule` says what is wrong with x ("" if nothing is).
CLI::Validator number(std::string description, std::function<std::string(double, const std::string&)> rule) {
  return CLI::Validator(
      [rule](std::string& text) -> std::string {
        double x = 0;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, x);
        if (text.empty() || stop != end || error != std::errc()) return fmt::format("'{}' is not a number", text);
        return rule(x, text);
      },
      std::move(description));
}

}  // namespace

double default_lr(const std::string& optimizer) { return optimizer == "sgd" ? 1.0 : 2e-3; }

CLI::Validator at_least(double min) {
  return number(fmt::format(">= {}", min), [min](double x, const std::string& text) {
    return x >= min ? "" : fmt::format("{} is less than {}", text, min);
  });
}

CLI::Validator above(double min) {
  return number(fmt::format("> {}", min), [min](double x, const std::string& text) {
    return x > min ? "" : fmt::format("{} is not above {}", text, min);
  });
}

CLI::Validator in_range(double min, double max) {
  return number(fmt::format("in [{}, {}]", min, max), [min, max](double x, const std::string& text) {
    return x >= min && x <= max ? "" : fmt::format("{} is outside [{}, {}]", text, min, max);
  });
}

void add_training_options(CLI::App& app, TrainingOptions& o) {
  app.add_option("--data", o.data, "Training text file (UTF-8); without it, built-in data")->check(CLI::ExistingFile);
  app.add_option("--optimizer", o.optimizer, "Optimizer")->check(CLI::IsMember({"sgd", "adam"}))->capture_default_str();
  app.add_option("--lr", o.lr, fmt::format("Learning rate (default: {} for sgd, {} for adam)", default_lr("sgd"),
                                           default_lr("adam")))->check(above(0));
  app.add_option("--clip", o.clip, "Max global gradient norm (0: no clipping)")->check(at_least(0))->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Sequences per batch")->check(at_least(1))->capture_default_str();
  app.add_option("--num-steps", o.num_steps, "Time steps per sequence")->check(at_least(1))->capture_default_str();
  auto* steps = app.add_option("--steps", o.steps, "Optimizer steps (instead of --epochs)")->check(at_least(1));
  app.add_option("--epochs", o.epochs, "Passes over the training data")->check(at_least(1))->capture_default_str()->excludes(steps);
  app.add_option("--valid-fraction", o.valid_fraction, "Share of the data held out for validation")
      ->check(in_range(0, 0.9))->capture_default_str();
  app.add_option("--threads", o.threads, "Worker threads (0: default)")->check(at_least(0))->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed (initialization, batching, sampling)")->check(at_least(0))->capture_default_str();
  app.add_option("--out", o.out_dir, "Folder for metrics.csv, loss.svg and checkpoints")->capture_default_str();
  app.add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints (0: only at the end)")
      ->check(at_least(0))->capture_default_str();
  app.add_option("--metrics-every", o.metrics_every, "Steps between rows of metrics.csv, besides one per epoch")
      ->check(at_least(1))->capture_default_str();
  app.add_flag("--resume", o.resume, "Continue from the checkpoint in --out, with its options");
  app.add_option("--log-interval", o.log_interval, "Seconds between progress lines when not on a terminal")
      ->check(at_least(0))->capture_default_str();
}

int run_program(CLI::App& app, const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                const std::string& out_of_memory_hint, const std::function<void()>& body) {
  const auto failed = [&](const std::string& what, int code) {
    std::string line = what;
    std::replace(line.begin(), line.end(), '\n', ' ');
    err << app.get_name() << ": " << line << '\n';
    return code;
  };
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them back to front
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    return failed(std::string(e.what()) + " (see --help)", e.get_exit_code());
  }
  try {
    body();
    return 0;
  } catch (const std::bad_alloc&) {
    return failed("out of memory (std::bad_alloc); " + out_of_memory_hint, 1);
  } catch (const std::exception& e) {
    return failed(e.what(), 1);
  }
}

}  // namespace tg::examples
