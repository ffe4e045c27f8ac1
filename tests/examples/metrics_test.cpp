// The per-epoch metrics CSV.
#include "support/support.hpp"

#include "common/metrics.hpp"

#include <cmath>

namespace tg::examples {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

TEST(Metrics, RowsHavePerplexityAndEmptyMissingValidation) {
  EpochMetrics m{3, 1500, std::log(4.0), std::log(5.0), 0.002, 0.75, 12.3456};
  EXPECT_EQ(metrics_csv_row(m), "3,1500,1.38629,4,1.60944,5,0.002,0.75,12.346");
  m.valid_loss = NAN;
  EXPECT_EQ(metrics_csv_row(m), "3,1500,1.38629,4,,,0.002,0.75,12.346");
}

TEST(Metrics, WritesHeaderOnceAndAppendsOnResume) {
  const std::string path = test::write_temp_file("metrics.csv", "");
  {
    MetricsCsv csv(path);
    csv.write({1, 100, 2.0, 2.5, 0.01, 1.5, 10});
  }
  {
    MetricsCsv resumed(path, /*append=*/true);
    resumed.write({2, 200, 1.5, NAN, 0.01, 1.2, 20});
  }
  const std::string text = read_all(path);
  EXPECT_EQ(text, metrics_csv_header() + "\n" + "1,100,2,7.38906,2.5,12.1825,0.01,1.5,10.000\n" +
                      "2,200,1.5,4.48169,,,0.01,1.2,20.000\n");
  auto rows = MetricsCsv::read(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].epoch, 2u);
  EXPECT_EQ(rows[1].step, 200u);
  EXPECT_DOUBLE_EQ(rows[0].valid_loss, 2.5);
  EXPECT_TRUE(std::isnan(rows[1].valid_loss));
  EXPECT_DOUBLE_EQ(rows[1].grad_norm, 1.2);
  MetricsCsv fresh(path);  // not appending: starts over
  EXPECT_EQ(read_all(path), metrics_csv_header() + "\n");
}

TEST(Metrics, MalformedFileSaysWhere) {
  const std::string path = test::write_temp_file("bad.csv", metrics_csv_header() + "\n1,2,3\n");
  EXPECT_THROW(MetricsCsv::read(path), IoError);
  try {
    MetricsCsv::read(test::write_temp_file("bad2.csv", metrics_csv_header() + "\n1,2,x,,,,,,1\n"));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(":2: 'x' is not a number"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tg::examples
