// LinearWarmup: standalone (torch's LinearLR) and handing over to a cosine (torch's SequentialLR).
#include "support/optim_support.hpp"

namespace tg::optim {
namespace {

using test::lr_sequence;
using test::schedule_diff;

TEST(LinearWarmup, StandaloneMatchesTorchLinearLR) {
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(0.1));
  LinearWarmup warmup(sgd, 4, 0.25);
  EXPECT_LT(schedule_diff(lr_sequence(sgd, warmup, 25), "warmup"), 1e-15);
}

TEST(LinearWarmup, HandsOverToCosineAsTorchSequentialLR) {
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(0.1));
  LinearWarmup warmup(sgd, 4, 0.25, std::make_unique<CosineAnnealingLR>(sgd, 10));
  EXPECT_LT(schedule_diff(lr_sequence(sgd, warmup, 30), "warmup_cosine"), 1e-15);
}

TEST(LinearWarmup, StateDictCarriesTheInnerScheduler) {
  struct Saved {
    StateDict optimizer, scheduler;
  };
  auto run = [](int steps, const Saved* resume_from, Saved* saved) {
    Tensor p = zeros({1}, TensorOptions().requires_grad());
    SGD sgd({{"p", p}}, SGDOptions(0.1));
    LinearWarmup warmup(sgd, 3, 0.5, std::make_unique<StepLR>(sgd, 2, 0.5));
    if (resume_from) {
      sgd.load_state_dict(resume_from->optimizer);
      warmup.load_state_dict(resume_from->scheduler);
    }
    std::vector<double> lrs = lr_sequence(sgd, warmup, std::size_t(steps));
    if (saved) *saved = {sgd.state_dict(), warmup.state_dict()};
    return lrs;
  };
  const std::vector<double> expected = run(12, nullptr, nullptr);
  Saved saved;
  std::vector<double> lrs = run(6, nullptr, &saved);
  EXPECT_EQ(saved.scheduler.at("last_epoch").item(), 6.0);
  EXPECT_EQ(saved.scheduler.at("after.last_epoch").item(), 3.0);  // restarted at step 3
  for (double lr : run(6, &saved, nullptr)) lrs.push_back(lr);
  EXPECT_EQ(lrs, expected);
}

TEST(LinearWarmup, RejectsBadOptions) {
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(0.1)), other({{"p", p}}, SGDOptions(0.1));
  EXPECT_THROW(LinearWarmup(sgd, 0), ValueError);
  try {
    LinearWarmup(sgd, 5, 0.0);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "LinearWarmup: invalid start_factor = 0 (must be in (0, 1])");
  }
  EXPECT_THROW(LinearWarmup(sgd, 5, 0.1, std::make_unique<ExponentialLR>(other, 0.9)), ValueError);
}

}  // namespace
}  // namespace tg::optim
