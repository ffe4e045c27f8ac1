// Memory stays bounded in a long training loop: graphs are freed after backward, gradients are
// replaced rather than piled up, and nothing grows per step. Measured as the resident set size
// (/proc/self/statm) after step 1,000 and after step 10,000.
#include "support/support.hpp"
#include "support/tiny_mlp.hpp"

#include <fstream>

#include <unistd.h>

namespace tg {
namespace {

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t total_pages = 0, resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

TEST(BoundedMemory, TenThousandTrainingStepsKeepTheResidentSetFlat) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers keep freed memory in quarantine, so RSS grows by design; LeakSanitizer checks leaks there";
#endif
  constexpr std::size_t kBound = 5u << 20;  // 5 MiB
  test::TinyMlp mlp(/*seed=*/1);
  std::size_t after_1000 = 0;
  double first_loss = 0, last_loss = 0;
  for (int step = 1; step <= 10000; ++step) {
    last_loss = mlp.train_step(0.05);
    if (step == 1) first_loss = last_loss;
    if (step == 1000) after_1000 = resident_bytes();
  }
  const std::size_t after_10000 = resident_bytes();
  EXPECT_LE(after_10000, after_1000 + kBound)
      << "RSS grew from " << after_1000 / 1024 << " KiB at step 1,000 to " << after_10000 / 1024 << " KiB at step 10,000";
  EXPECT_LT(last_loss, first_loss) << "the loop did not train";
  RecordProperty("rss_kib_step_1000", static_cast<int>(after_1000 / 1024));
  RecordProperty("rss_kib_step_10000", static_cast<int>(after_10000 / 1024));
  std::printf("RSS after step 1,000: %zu KiB; after step 10,000: %zu KiB (growth %ld KiB)\n", after_1000 / 1024,
              after_10000 / 1024, (static_cast<long>(after_10000) - static_cast<long>(after_1000)) / 1024);
}

}  // namespace
}  // namespace tg
