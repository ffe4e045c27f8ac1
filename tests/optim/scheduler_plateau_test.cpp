// ReduceLROnPlateau: lr sequence against torch for a metric with plateaus, cooldown and min_lr.
#include "support/optim_support.hpp"

namespace tg::optim {
namespace {

TEST(ReduceLROnPlateau, MatchesTorch) {
  const StateDict ref = load_npz(test::data_path("optim/schedulers.npz"));
  const auto& metrics = ref.at("plateau_metrics").data<double>();
  const auto& expected = ref.at("plateau").data<double>();
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(1.0));
  ReduceLROnPlateau scheduler(sgd, ReduceLROnPlateauOptions().factor(0.5).patience(2).cooldown(1).min_lr(0.01));
  for (std::size_t e = 0; e < metrics.size(); ++e) {
    scheduler.step(metrics(e));
    EXPECT_EQ(sgd.lr(), expected(e)) << "epoch " << e;
  }
}

TEST(ReduceLROnPlateau, MaxModeAndAbsoluteThreshold) {
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(1.0));
  ReduceLROnPlateau scheduler(
      sgd, ReduceLROnPlateauOptions().mode(PlateauMode::Max).threshold_mode(ThresholdMode::Absolute).threshold(0.1).patience(0));
  scheduler.step(0.5);
  scheduler.step(0.55);  // not better by 0.1: the one bad epoch exceeds patience 0
  EXPECT_EQ(sgd.lr(), 0.1);
  EXPECT_EQ(scheduler.best(), 0.5);
  scheduler.step(0.7);
  EXPECT_EQ(sgd.lr(), 0.1);
}

TEST(ReduceLROnPlateau, StateDictRoundTrips) {
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(1.0));
  ReduceLROnPlateau a(sgd, ReduceLROnPlateauOptions().patience(3)), b(sgd, ReduceLROnPlateauOptions().patience(3));
  for (double m : {3.0, 2.0, 2.5, 2.4}) a.step(m);
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.best(), 2.0);
  EXPECT_EQ(b.num_bad_epochs(), 2);
  EXPECT_EQ(b.last_epoch(), 4);
  EXPECT_THROW(b.load_state_dict({}), ValueError);
}

TEST(ReduceLROnPlateau, RejectsBadOptions) {
  Tensor p = zeros({1}, TensorOptions().requires_grad());
  SGD sgd({{"p", p}}, SGDOptions(1.0));
  try {
    ReduceLROnPlateau(sgd, ReduceLROnPlateauOptions().factor(1.5));
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "ReduceLROnPlateau: invalid factor = 1.5 (must be < 1)");
  }
}

}  // namespace
}  // namespace tg::optim
