#include "common/progress.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <unistd.h>

namespace tg::examples {

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

std::string format_rate(double per_second) {
  if (per_second < 1e3) return fmt::format("{:.0f}", per_second);
  if (per_second < 1e6) return fmt::format("{:.2f}k", per_second / 1e3);
  return fmt::format("{:.2f}M", per_second / 1e6);
}

std::string format_progress_line(const ProgressInfo& info, std::size_t bar_width) {
  std::string line = info.total_steps ? fmt::format("step {}/{}", info.step, info.total_steps)
                                      : fmt::format("step {}", info.step);
  if (bar_width > 0 && info.total_steps > 0) {
    const double done = std::min(1.0, static_cast<double>(info.step) / static_cast<double>(info.total_steps));
    const auto filled = static_cast<std::size_t>(done * static_cast<double>(bar_width));
    line += fmt::format(" [{}{}] {:3.0f}%", std::string(filled, '#'), std::string(bar_width - filled, '-'), done * 100);
  }
  line += fmt::format(" | loss {:.4f} | {} tok/s", info.loss, format_rate(info.tokens_per_second));
  if (info.eta_seconds >= 0) line += " | ETA " + format_duration(info.eta_seconds);
  return line;
}

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

ProgressBar::ProgressBar(std::size_t total_steps, std::ostream& out, bool terminal, double plain_interval,
                         std::size_t first_step)
    : total_steps_(total_steps), out_(out), terminal_(terminal), plain_interval_(plain_interval),
      first_step_(first_step) {}

double ProgressBar::seconds_since(Clock::time_point t) const {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void ProgressBar::update(std::size_t step, double loss, std::size_t tokens) {
  tokens_ += tokens;
  loss_sum_ += loss;
  ++loss_count_;
  const bool last = total_steps_ > 0 && step >= total_steps_;
  // A terminal redraw is cheap but not free: at most ~10 per second.
  const double interval = terminal_ ? 0.1 : plain_interval_;
  if (printed_ && !last && seconds_since(last_print_) < interval) return;

  const double elapsed = std::max(seconds_since(start_), 1e-9);
  ProgressInfo info;
  info.step = step;
  info.total_steps = total_steps_;
  info.loss = loss_sum_ / static_cast<double>(loss_count_);
  info.tokens_per_second = static_cast<double>(tokens_) / elapsed;
  // Steps done in this run (a resumed run starts at first_step) set the pace.
  if (total_steps_ > 0 && step > first_step_)
    info.eta_seconds = elapsed / static_cast<double>(step - first_step_) * static_cast<double>(total_steps_ - std::min(step, total_steps_));
  if (terminal_) {
    out_ << '\r' << format_progress_line(info, 30) << "\x1b[K" << std::flush;
    line_open_ = true;
  } else {
    out_ << format_progress_line(info, 0) << '\n' << std::flush;
  }
  printed_ = true;
  last_print_ = Clock::now();
  loss_sum_ = 0;
  loss_count_ = 0;
}

void ProgressBar::message(const std::string& text) {
  if (line_open_) out_ << "\r\x1b[K";
  out_ << text << '\n';
  line_open_ = false;
  printed_ = false;  // redraw the bar at the next update
}

void ProgressBar::finish() {
  if (line_open_) out_ << '\n' << std::flush;
  line_open_ = false;
}

}  // namespace tg::examples
