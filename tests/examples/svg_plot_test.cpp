// Loss-curve SVGs: well-formed XML, one point per value, sensible ticks.
#include "support/support.hpp"

#include "common/svg_plot.hpp"

#include <cmath>
#include <regex>

namespace tg::examples {
namespace {

// A small well-formedness check: every tag closes in order, attributes are quoted, and no raw '&'
// or '<' appears in text.
::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> open;
  std::size_t pos = xml.find("<svg");
  if (pos == std::string::npos) return ::testing::AssertionFailure() << "no <svg>";
  const std::regex tag(R"(^<(/?)([a-zA-Z][\w-]*)((\s+[\w:-]+="[^"<&]*(&(amp|lt|gt|quot);[^"<&]*)*")*)\s*(/?)>)");
  while (pos < xml.size()) {
    const std::size_t lt = xml.find('<', pos);
    const std::string text = xml.substr(pos, lt - pos);
    for (std::size_t amp = text.find('&'); amp != std::string::npos; amp = text.find('&', amp + 1))
      if (!std::regex_search(text.substr(amp), std::regex("^&(amp|lt|gt|quot);")))
        return ::testing::AssertionFailure() << "raw & in text: " << text;
    if (lt == std::string::npos) break;
    std::smatch m;
    const std::string rest = xml.substr(lt, 2000);
    if (!std::regex_search(rest, m, tag)) return ::testing::AssertionFailure() << "bad tag at " << rest.substr(0, 80);
    if (m[1] == "/") {
      if (open.empty() || open.back() != m[2]) return ::testing::AssertionFailure() << "unbalanced </" << m[2] << ">";
      open.pop_back();
    } else if (m[7] != "/") {
      open.push_back(m[2]);
    }
    pos = lt + static_cast<std::size_t>(m.length(0));
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "unclosed <" << open.back() << ">";
  return ::testing::AssertionSuccess();
}

std::vector<std::size_t> points_per_series(const std::string& svg) {
  std::vector<std::size_t> counts;
  const std::regex polyline(R"(<polyline class="series"[^>]*points="([^"]*)\")");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), polyline); it != std::sregex_iterator(); ++it) {
    const std::string points = (*it)[1];
    counts.push_back(points.empty() ? 0 : static_cast<std::size_t>(std::count(points.begin(), points.end(), ' ') + 1));
  }
  return counts;
}

TEST(SvgPlot, NiceTicks) {
  EXPECT_EQ(nice_ticks(0, 10), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(1.3, 2.9), (std::vector<double>{1.5, 2.0, 2.5}));
  const auto t = nice_ticks(0.0013, 0.0051, 5);
  ASSERT_GE(t.size(), 3u);
  EXPECT_NEAR(t[1] - t[0], 0.001, 1e-12);
  EXPECT_EQ(nice_ticks(3, 3), (std::vector<double>{3}));
}

TEST(SvgPlot, LossCurvesFromMetrics) {
  std::vector<EpochMetrics> rows;
  for (std::size_t e = 1; e <= 7; ++e) {
    EpochMetrics m;
    m.epoch = e;
    m.step = 10 * e;
    m.train_loss = 3.0 / static_cast<double>(e);
    m.valid_loss = e % 2 ? 3.2 / static_cast<double>(e) : NAN;  // validation every other epoch
    rows.push_back(m);
  }
  const std::string svg = render_line_plot_svg(loss_curves(rows), {"Loss <char LM> & co", "step", "loss"});
  EXPECT_TRUE(well_formed(svg));
  EXPECT_EQ(points_per_series(svg), (std::vector<std::size_t>{7, 4}));
  EXPECT_NE(svg.find("data-name=\"validation\""), std::string::npos);
  EXPECT_NE(svg.find("Loss &lt;char LM&gt; &amp; co"), std::string::npos);
  EXPECT_NE(svg.find(">step</text>"), std::string::npos);
  EXPECT_EQ(loss_curves(rows)[0].x, (std::vector<double>{10, 20, 30, 40, 50, 60, 70}));  // steps, not epochs
  EXPECT_NE(svg.find("rotate(-90"), std::string::npos);  // y label
}

TEST(SvgPlot, DegenerateInputsStillDraw) {
  EXPECT_TRUE(well_formed(render_line_plot_svg({}, {})));
  const std::string one = render_line_plot_svg({{"train", {1}, {2.5}, ""}}, {});
  EXPECT_TRUE(well_formed(one));
  EXPECT_EQ(points_per_series(one), (std::vector<std::size_t>{1}));
  const std::string with_inf = render_line_plot_svg({{"train", {1, 2, 3}, {2, INFINITY, 1}, "black"}}, {});
  EXPECT_EQ(points_per_series(with_inf), (std::vector<std::size_t>{2}));
  EXPECT_THROW(render_line_plot_svg({{"bad", {1, 2}, {1}, ""}}, {}), ValueError);
}

TEST(SvgPlot, WritesFile) {
  const std::string path = test::write_temp_file("loss.svg", "");
  write_line_plot_svg(path, {{"train", {1, 2, 3}, {3, 2, 1.5}, ""}}, {"t", "epoch", "loss"});
  std::ifstream file(path);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(well_formed(text));
  EXPECT_THROW(write_line_plot_svg("/nonexistent/dir/loss.svg", {}, {}), IoError);
}

TEST(SvgHeatmap, OneCellPerWeightDarkerForMoreLabelledAndEscaped) {
  const Heatmap map{{"2026", "-", "11"}, {"nov", "26", ",", "<2026>"},
                    {{0, 0, 0, 1}, {0.5, 0.5, 0, 0}, {1, 0, 0, 0}}};
  const std::string svg = render_heatmap_svg(map, "attention");
  EXPECT_TRUE(well_formed(svg));
  const std::regex cell(R"(class="cell"[^>]*fill="rgb\((\d+),)");
  std::vector<int> levels;
  for (std::sregex_iterator it(svg.begin(), svg.end(), cell), end; it != end; ++it) levels.push_back(std::stoi((*it)[1]));
  ASSERT_EQ(levels.size(), 12u);
  EXPECT_EQ(levels[3], 0);     // weight 1: black
  EXPECT_EQ(levels[0], 255);   // weight 0: white
  EXPECT_EQ(levels[4], 128);   // weight 0.5
  EXPECT_NE(svg.find("&lt;2026&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">11</text>"), std::string::npos);
  EXPECT_TRUE(test::throws<ValueError>([&] { render_heatmap_svg({{"a"}, {"x", "y"}, {{1}}}); },
                                       {"render_heatmap_svg: row 0 has 1 weights for 2 column labels"}));
  EXPECT_TRUE(test::throws<ValueError>([&] { render_heatmap_svg({{"a", "b"}, {"x"}, {{1}}}); },
                                       {"1 rows of weights for 2 row labels"}));
  EXPECT_THROW(write_heatmap_svg("/nonexistent/dir/a.svg", map), IoError);
}

}  // namespace
}  // namespace tg::examples
