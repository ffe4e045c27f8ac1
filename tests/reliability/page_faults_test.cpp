// A steady-state training step reuses the memory the previous step freed instead of faulting fresh
// pages in from the kernel (autograd/memory.hpp). Counted as minor page faults (getrusage) over
// training steps whose activations are 512 KiB each, well above glibc's default mmap threshold.
#include "support/support.hpp"
#include "support/tiny_mlp.hpp"

#include <malloc.h>
#include <sys/resource.h>

namespace tg {
namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

long faults_per_step(test::TinyMlp& mlp) {
  // Warm-up: the first steps do fault while the heap finds its layout. The small blocks the block
  // cache keeps from the first step stay where they are, so it takes longer (faults per step here:
  // 877 512 130 129 128 128, then 0; with nothing cached, 877 256 0 64, then 0).
  for (int step = 0; step < 8; ++step) mlp.train_step(0.01);
  constexpr int kSteps = 10;
  const long before = minor_faults();
  for (int step = 0; step < kSteps; ++step) mlp.train_step(0.01);
  return (minor_faults() - before) / kSteps;
}

TEST(PageFaults, SteadyStateStepsReuseFreedMemory) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers replace malloc, so glibc's settings do not apply";
#endif
  if (!malloc_tuned()) GTEST_SKIP() << "the allocator settings are off (TAPEGRAD_MALLOC=system or GLIBC_TUNABLES)";
  test::TinyMlp mlp(/*seed=*/1, kFloat32, /*batch=*/256, /*in=*/64, /*hidden=*/512);
  const long tuned = faults_per_step(mlp);

  // Control: glibc's default thresholds make the same steps fault their buffers in every time.
  ASSERT_EQ(mallopt(M_MMAP_THRESHOLD, 128 << 10), 1);
  ASSERT_EQ(mallopt(M_TRIM_THRESHOLD, 128 << 10), 1);
  const long untuned = faults_per_step(mlp);
  ASSERT_TRUE(detail::tune_malloc());

  std::printf("minor page faults per step: %ld with tapegrad's settings, %ld with glibc's defaults\n", tuned, untuned);
  EXPECT_LT(tuned, 16) << "a steady-state step faulted pages in";
  EXPECT_GT(untuned, 100) << "the control did not fault: the test could not tell the settings apart";
}

}  // namespace
}  // namespace tg
