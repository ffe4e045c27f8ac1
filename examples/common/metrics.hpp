#pragma once
// Training metrics (a row every few steps and one per epoch) as a CSV file that a spreadsheet, pandas or plot_loss_svg can read.
#include <cstddef>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace tg::examples {

/// One row: where training is (epochs completed, optimizer steps), its losses (mean cross-entropy per token, nats) and the optimizer's
/// state. valid_loss is NaN when there was no validation.
struct EpochMetrics {
  std::size_t epoch = 0;
  std::size_t step = 0;
  double train_loss = 0;
  double valid_loss = std::numeric_limits<double>::quiet_NaN();
  double learning_rate = 0;
  double grad_norm = 0;
  double seconds = 0;  ///< wall time since the start of training
};

/// The CSV header: epoch,step,train_loss,train_perplexity,valid_loss,valid_perplexity,
/// learning_rate,grad_norm,seconds (perplexity = exp(loss); empty fields for a missing validation).
std::string metrics_csv_header();
/// One row in that format.
std::string metrics_csv_row(const EpochMetrics& m);

/// Appends rows to a CSV file, writing the header first if the file is new or empty (so a resumed
/// run continues the same file). Every row is flushed.
///
///     tg::examples::MetricsCsv csv("runs/lm/metrics.csv", /*append=*/resuming);
///     csv.write({.epoch = 1, .step = 500, .train_loss = 1.9, .valid_loss = 2.0, .learning_rate = 1e-3});
class MetricsCsv {
 public:
  explicit MetricsCsv(const std::string& path, bool append = false);
  void write(const EpochMetrics& m);
  /// Rows of a file written by MetricsCsv; IoError naming file and line if malformed.
  static std::vector<EpochMetrics> read(const std::string& path);

 private:
  std::string path_;
  std::ofstream file_;
};

}  // namespace tg::examples
