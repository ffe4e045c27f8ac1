#pragma once
// Plots written as standalone SVG, which anyone can open in a browser, without matplotlib or
// gnuplot: line plots (axes, ticks, grid, labels, legend) such as loss curves, and labelled heatmaps
// such as a translation's attention weights.
#include "common/metrics.hpp"

#include <string>
#include <vector>

namespace tg::examples {

/// One curve. Points with a NaN or infinite y are left out.
struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  std::string color;  ///< CSS colour; empty picks the next of a fixed palette
};

struct PlotOptions {
  std::string title;
  std::string x_label = "step";
  std::string y_label = "loss";
  int width = 720;
  int height = 440;
};

/// Round tick values (1, 2, 2.5, 5 x 10^k apart) covering [lo, hi] with about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, std::size_t target = 6);

/// The SVG document. Each series is one `<polyline class="series">` with one "x,y" pair per point.
///
///     auto svg = tg::examples::render_line_plot_svg(tg::examples::loss_curves(rows), {.title = "char LM"});
std::string render_line_plot_svg(const std::vector<Series>& series, const PlotOptions& options);
/// render_line_plot_svg into `path` (IoError if it cannot be written).
void write_line_plot_svg(const std::string& path, const std::vector<Series>& series, const PlotOptions& options);

/// A matrix of weights in [0, 1] with a label per row and per column: for attention, one row per
/// output token and one column per source token, as Bahdanau et al.'s Figure 3.
struct Heatmap {
  std::vector<std::string> row_labels, column_labels;
  std::vector<std::vector<double>> weights;  // rows x columns
};

/// The SVG document: one `<rect class="cell">` per weight, white at 0 to black at 1, the column
/// labels along the top, the row labels on the left.
///
///     tg::examples::write_heatmap_svg("attention.svg", {outputs, sources, weights}, "attention");
std::string render_heatmap_svg(const Heatmap& map, const std::string& title = "");
/// render_heatmap_svg into `path` (IoError if it cannot be written).
void write_heatmap_svg(const std::string& path, const Heatmap& map, const std::string& title = "");

/// "train" and "validation" loss over optimizer steps from metrics rows (validation left out if never
/// measured): rows come every few steps, so a run shorter than an epoch still draws a curve.
std::vector<Series> loss_curves(const std::vector<EpochMetrics>& rows);

}  // namespace tg::examples
