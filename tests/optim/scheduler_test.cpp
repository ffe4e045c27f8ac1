// StepLR, ExponentialLR, CosineAnnealingLR: lr sequences against torch.optim.lr_scheduler, state dicts.
#include "support/optim_support.hpp"

namespace tg::optim {
namespace {

using test::lr_sequence;
using test::schedule_diff;

struct Fixture {
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd{{{"p", p}}, SGDOptions(0.1)};
};

TEST(Scheduler, StepLRMatchesTorch) {
  Fixture f;
  StepLR scheduler(f.sgd, 3, 0.5);
  EXPECT_LT(schedule_diff(lr_sequence(f.sgd, scheduler, 25), "step"), 1e-15);
}

TEST(Scheduler, ExponentialLRMatchesTorch) {
  Fixture f;
  ExponentialLR scheduler(f.sgd, 0.9);
  EXPECT_LT(schedule_diff(lr_sequence(f.sgd, scheduler, 25), "exponential"), 1e-15);
}

TEST(Scheduler, CosineAnnealingLRMatchesTorchBeyondOnePeriod) {
  Fixture f;
  CosineAnnealingLR scheduler(f.sgd, 7, 0.001);
  EXPECT_LT(schedule_diff(lr_sequence(f.sgd, scheduler, 40), "cosine"), 1e-15);
}

TEST(Scheduler, SchedulesEveryGroupFromItsOwnBase) {
  Tensor a = zeros({1}, TensorOptions().requires_grad()), b = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{NamedParameters{{"a", a}}}, {NamedParameters{{"b", b}}, SGDOptions(1.0)}}, SGDOptions(0.1));
  StepLR scheduler(sgd, 2, 0.5);
  for (int e = 0; e < 4; ++e) scheduler.step();
  EXPECT_EQ(scheduler.get_last_lr(), (std::vector<double>{0.025, 0.25}));
  EXPECT_EQ(scheduler.last_epoch(), 4);
}

TEST(Scheduler, StateDictResumesTheSequence) {
  Fixture straight;
  CosineAnnealingLR reference(straight.sgd, 7, 0.001);
  const std::vector<double> expected = lr_sequence(straight.sgd, reference, 20);

  Fixture first;
  CosineAnnealingLR scheduler(first.sgd, 7, 0.001);
  std::vector<double> lrs = lr_sequence(first.sgd, scheduler, 9);
  const StateDict optimizer_state = first.sgd.state_dict(), scheduler_state = scheduler.state_dict();
  EXPECT_EQ(scheduler_state.at("last_epoch").item(), 9.0);

  Fixture second;
  CosineAnnealingLR resumed(second.sgd, 7, 0.001);
  second.sgd.load_state_dict(optimizer_state);
  resumed.load_state_dict(scheduler_state);
  for (double lr : lr_sequence(second.sgd, resumed, 11)) lrs.push_back(lr);
  EXPECT_EQ(lrs, expected);  // bitwise

  EXPECT_THROW(resumed.load_state_dict({}), ValueError);
}

TEST(Scheduler, RejectsBadOptions) {
  Fixture f;
  EXPECT_THROW(StepLR(f.sgd, 0), ValueError);
  try {
    CosineAnnealingLR(f.sgd, 0);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "CosineAnnealingLR: invalid T_max = 0 (must be >= 1)");
  }
}

}  // namespace
}  // namespace tg::optim
