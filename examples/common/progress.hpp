#pragma once
// A training progress display: a redrawn bar on a terminal, plain periodic lines otherwise (logs, CI).
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iosfwd>
#include <string>

namespace tg::examples {

/// What one progress line shows.
struct ProgressInfo {
  std::size_t step = 0;         ///< steps done
  std::size_t total_steps = 0;  ///< 0 if unknown (no bar, no ETA)
  double loss = 0;
  double tokens_per_second = 0;
  double eta_seconds = -1;      ///< negative: unknown
};

/// "step 120/1000 [###-------] 12% | loss 1.8345 | 5.21k tok/s | ETA 3m12s"; bar_width 0 leaves
/// the bar out (plain lines).
std::string format_progress_line(const ProgressInfo& info, std::size_t bar_width);
/// 45s, 3m12s, 1h02m.
std::string format_duration(double seconds);
/// 950, 5.21k, 1.30M.
std::string format_rate(double per_second);

/// True if `stream` (stdout or stderr) is a terminal.
bool is_terminal(std::FILE* stream);

/// Reports training progress. On a terminal one line is redrawn in place ('\r'); otherwise a plain
/// line is written every `plain_interval` seconds and at the last step. The loss shown is the mean
/// since the previous line.
///
///     tg::examples::ProgressBar bar(steps, std::cerr, tg::examples::is_terminal(stderr));
///     for (...) bar.update(step + 1, loss, batch_size * num_steps);
///     bar.finish();
class ProgressBar {
 public:
  ProgressBar(std::size_t total_steps, std::ostream& out, bool terminal, double plain_interval = 10.0,
              std::size_t first_step = 0);

  /// After step `step` (1-based count of steps done) with loss `loss` over `tokens` tokens.
  void update(std::size_t step, double loss, std::size_t tokens);
  /// Prints a line of its own (e.g. validation results) without mangling the bar.
  void message(const std::string& text);
  /// Ends the bar's line on a terminal.
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  double seconds_since(Clock::time_point t) const;

  std::size_t total_steps_;
  std::ostream& out_;
  bool terminal_;
  double plain_interval_;
  std::size_t first_step_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_print_ = start_;
  std::size_t tokens_ = 0;
  double loss_sum_ = 0;
  std::size_t loss_count_ = 0;
  bool printed_ = false;
  bool line_open_ = false;
};

}  // namespace tg::examples
