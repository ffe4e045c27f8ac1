#include "common/svg_plot.hpp"

#include <autograd/error.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace tg::examples {
namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string tick_label(double v) { return fmt::format("{:g}", std::abs(v) < 1e-12 ? 0.0 : v); }

struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void add(double v) { lo = std::min(lo, v), hi = std::max(hi, v); }
  // An empty or zero-width range still needs an axis.
  void widen() {
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (hi - lo < 1e-12) {
      const double pad = std::max(std::abs(lo) * 0.05, 0.5);
      lo -= pad, hi += pad;
    }
  }
};

bool finite_point(const Series& s, std::size_t i) { return std::isfinite(s.x[i]) && std::isfinite(s.y[i]); }

/// The document's start: the XML declaration, the <svg> element and a white background.
std::string svg_start(int width, int height) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      width, height);
}

void write_svg(const char* who, const std::string& path, const std::string& svg) {
  std::ofstream file(path, std::ios::binary);
  if (!(file << svg) || !file.flush()) fail<IoError>("{}: cannot write '{}'", who, path);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, std::size_t target) {
  if (!(hi > lo) || target < 2) return {lo};
  const double raw = (hi - lo) / static_cast<double>(target - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude * 10;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

std::string render_line_plot_svg(const std::vector<Series>& series, const PlotOptions& o) {
  for (const auto& s : series)
    if (s.x.size() != s.y.size())
      fail<ValueError>("render_line_plot_svg: series '{}' has {} x and {} y values", s.name, s.x.size(), s.y.size());
  Range xr, yr;
  for (const auto& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (finite_point(s, i)) xr.add(s.x[i]), yr.add(s.y[i]);
  xr.widen();
  yr.widen();
  // The y axis starts and ends on a tick, so the curve never touches the frame unlabelled.
  std::vector<double> yticks = nice_ticks(yr.lo - 0.04 * (yr.hi - yr.lo), yr.hi + 0.04 * (yr.hi - yr.lo));
  const double ystep = yticks.size() > 1 ? yticks[1] - yticks[0] : 1;
  if (yticks.front() > yr.lo) yticks.insert(yticks.begin(), yticks.front() - ystep);
  yr.lo = yticks.front();
  if (yticks.back() < yr.hi) yticks.push_back(yticks.back() + ystep);
  yr.hi = yticks.back();
  const std::vector<double> xticks = nice_ticks(xr.lo, xr.hi);

  const double left = 72, right = 24, top = o.title.empty() ? 20 : 44, bottom = 56;
  const double pw = o.width - left - right, ph = o.height - top - bottom;
  const auto px = [&](double x) { return left + (x - xr.lo) / (xr.hi - xr.lo) * pw; };
  const auto py = [&](double y) { return top + (yr.hi - y) / (yr.hi - yr.lo) * ph; };

  std::string svg = svg_start(o.width, o.height);
  if (!o.title.empty())
    svg += fmt::format("<text x=\"{:.1f}\" y=\"26\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
                       left + pw / 2, xml_escape(o.title));
  svg += "<g class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double t : yticks) svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n", left, py(t), left + pw, py(t));
  for (double t : xticks) svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n", px(t), top, px(t), top + ph);
  svg += "</g>\n<g class=\"ticks\">\n";
  for (double t : yticks)
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"black\"/>"
                       "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       left - 5, py(t), left, left - 8, py(t) + 4, tick_label(t));
  for (double t : xticks)
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"black\"/>"
                       "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4}</text>\n",
                       px(t), top + ph, top + ph + 5, top + ph + 19, tick_label(t));
  svg += "</g>\n";
  svg += fmt::format("<rect class=\"frame\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"black\"/>\n",
                     left, top, pw, ph);
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n", left + pw / 2,
                     o.height - 14.0, xml_escape(o.x_label));
  svg += fmt::format("<text x=\"18\" y=\"{0:.1f}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 {0:.1f})\">{1}</text>\n",
                     top + ph / 2, xml_escape(o.y_label));

  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const std::string color = s.color.empty() ? kPalette[k % std::size(kPalette)] : s.color;
    std::string points;
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (finite_point(s, i)) points += fmt::format("{}{:.1f},{:.1f}", count++ ? " " : "", px(s.x[i]), py(s.y[i]));
    svg += fmt::format("<polyline class=\"series\" data-name=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
                       "stroke-linejoin=\"round\" points=\"{}\"/>\n",
                       xml_escape(s.name), color, points);
    // Markers make single points and sparse curves visible; dense curves are clearer without.
    if (count <= 60)
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (finite_point(s, i))
          svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(s.x[i]), py(s.y[i]), color);
    const double ly = top + 16 + 18.0 * static_cast<double>(k);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" stroke-width=\"2\"/>"
                       "<text x=\"{4:.1f}\" y=\"{5:.1f}\">{6}</text>\n",
                       left + pw - 130, ly, left + pw - 106, color, left + pw - 100, ly + 4, xml_escape(s.name));
  }
  svg += "</svg>\n";
  return svg;
}

void write_line_plot_svg(const std::string& path, const std::vector<Series>& series, const PlotOptions& options) {
  write_svg("write_line_plot_svg", path, render_line_plot_svg(series, options));
}

std::string render_heatmap_svg(const Heatmap& map, const std::string& title) {
  const std::size_t rows = map.row_labels.size(), cols = map.column_labels.size();
  if (map.weights.size() != rows)
    fail<ValueError>("render_heatmap_svg: {} rows of weights for {} row labels", map.weights.size(), rows);
  for (std::size_t r = 0; r < rows; ++r)
    if (map.weights[r].size() != cols)
      fail<ValueError>("render_heatmap_svg: row {} has {} weights for {} column labels", r, map.weights[r].size(), cols);
  // Labels are short tokens; 7 px a character leaves room for the longest.
  auto longest = [](const std::vector<std::string>& labels) {
    std::size_t n = 1;
    for (const auto& l : labels) n = std::max(n, l.size());
    return static_cast<double>(n) * 7 + 12;
  };
  const double cell = 22, left = longest(map.row_labels), top = longest(map.column_labels) + (title.empty() ? 0 : 28);
  const int width = static_cast<int>(left + cell * static_cast<double>(cols) + 16);
  const int height = static_cast<int>(top + cell * static_cast<double>(rows) + 16);
  std::string svg = svg_start(width, height);
  if (!title.empty())
    svg += fmt::format("<text x=\"{:.1f}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
                       width / 2.0, xml_escape(title));
  for (std::size_t c = 0; c < cols; ++c) {  // source tokens along the top, read bottom to top
    const double x = left + cell * (static_cast<double>(c) + 0.5) + 4, y = top - 6;
    svg += fmt::format("<text x=\"{0:.1f}\" y=\"{1:.1f}\" transform=\"rotate(-90 {0:.1f} {1:.1f})\">{2}</text>\n", x, y,
                       xml_escape(map.column_labels[c]));
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const double y = top + cell * static_cast<double>(r);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6, y + cell / 2 + 4,
                       xml_escape(map.row_labels[r]));
    for (std::size_t c = 0; c < cols; ++c) {
      const double w = std::clamp(std::isfinite(map.weights[r][c]) ? map.weights[r][c] : 0.0, 0.0, 1.0);
      const int level = static_cast<int>(std::lround(255 * (1 - w)));  // white (0) to black (1)
      svg += fmt::format("<rect class=\"cell\" x=\"{0:.1f}\" y=\"{1:.1f}\" width=\"{2:.1f}\" height=\"{2:.1f}\" "
                         "fill=\"rgb({3},{3},{3})\" data-weight=\"{4:.4f}\"/>\n",
                         left + cell * static_cast<double>(c), y, cell, level, w);
    }
  }
  svg += fmt::format("<rect class=\"frame\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"black\"/>\n",
                     left, top, cell * static_cast<double>(cols), cell * static_cast<double>(rows));
  svg += "</svg>\n";
  return svg;
}

void write_heatmap_svg(const std::string& path, const Heatmap& map, const std::string& title) {
  write_svg("write_heatmap_svg", path, render_heatmap_svg(map, title));
}

std::vector<Series> loss_curves(const std::vector<EpochMetrics>& rows) {
  Series train{"train", {}, {}, ""}, valid{"validation", {}, {}, ""};
  for (const auto& r : rows) {
    train.x.push_back(static_cast<double>(r.step));
    train.y.push_back(r.train_loss);
    if (!std::isnan(r.valid_loss)) {
      valid.x.push_back(static_cast<double>(r.step));
      valid.y.push_back(r.valid_loss);
    }
  }
  std::vector<Series> out{train};
  if (!valid.x.empty()) out.push_back(valid);
  return out;
}

}  // namespace tg::examples
