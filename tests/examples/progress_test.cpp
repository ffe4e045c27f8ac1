// Progress lines: formatting, and terminal vs plain output.
#include "support/support.hpp"

#include "common/progress.hpp"

#include <sstream>

namespace tg::examples {
namespace {

TEST(Progress, FormatsDurationsAndRates) {
  EXPECT_EQ(format_duration(45.4), "45s");
  EXPECT_EQ(format_duration(192), "3m12s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-3), "0s");
  EXPECT_EQ(format_rate(950), "950");
  EXPECT_EQ(format_rate(5210), "5.21k");
  EXPECT_EQ(format_rate(1.3e6), "1.30M");
}

TEST(Progress, FormatsLineWithAndWithoutBar) {
  ProgressInfo info{120, 1000, 1.83449, 5210, 192};
  EXPECT_EQ(format_progress_line(info, 10), "step 120/1000 [#---------]  12% | loss 1.8345 | 5.21k tok/s | ETA 3m12s");
  EXPECT_EQ(format_progress_line(info, 0), "step 120/1000 | loss 1.8345 | 5.21k tok/s | ETA 3m12s");
  EXPECT_EQ(format_progress_line({7, 0, 2.5, 100, -1}, 10), "step 7 | loss 2.5000 | 100 tok/s");
}

TEST(Progress, PlainOutputIsOneLinePerReport) {
  std::ostringstream out;
  ProgressBar bar(4, out, /*terminal=*/false, /*plain_interval=*/3600);
  bar.update(1, 2.0, 10);  // first report always shows
  bar.update(2, 4.0, 10);  // within the interval: folded into the next line's mean
  bar.message("validation: loss 1.0");
  bar.update(3, 6.0, 10);  // after a message the bar is shown again
  bar.update(4, 1.0, 10);  // the last step always shows
  bar.finish();
  const std::string text = out.str();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
  EXPECT_NE(text.find("step 1/4 | loss 2.0000"), std::string::npos) << text;
  EXPECT_NE(text.find("step 3/4 | loss 5.0000"), std::string::npos) << text;  // mean of 4 and 6
  EXPECT_NE(text.find("validation: loss 1.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("step 4/4 | loss 1.0000"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA 0s"), std::string::npos) << text;
}

TEST(Progress, TerminalOutputRedrawsOneLine) {
  std::ostringstream out;
  ProgressBar bar(2, out, /*terminal=*/true);
  bar.update(1, 1.0, 5);
  bar.update(2, 1.0, 5);
  bar.finish();
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("\rstep 1/2 [###############---------------]  50%", 0), 0u) << text;
  EXPECT_NE(text.find("\rstep 2/2 [##############################] 100%"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

}  // namespace
}  // namespace tg::examples
