// The resumable position shared by the batch iterators.
#include "support/support.hpp"

namespace tg::data {
namespace {

// An iterator whose epochs are 3 random numbers: enough to see planning and restoring.
class Draws : public EpochIterator {
 public:
  explicit Draws(std::uint64_t seed) : EpochIterator(seed) {}
  bool next(std::uint64_t& value) {
    auto i = advance();
    if (i) value = plan_[*i];
    return i.has_value();
  }
  int plans = 0;

 protected:
  void plan_epoch(Generator& g) override {
    ++plans;
    plan_ = {g.below(1000), g.below(1000), g.below(1000)};
  }
  std::size_t planned_batches() const override { return plan_.size(); }

 private:
  std::vector<std::uint64_t> plan_;
};

TEST(EpochIterator, EpochsAndPositions) {
  Draws d(1);
  std::uint64_t v;
  EXPECT_EQ(d.num_batches(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(d.next(v));
  EXPECT_EQ(d.batch_index(), 3u);
  EXPECT_FALSE(d.next(v));
  EXPECT_EQ(d.epoch(), 1u);
  EXPECT_EQ(d.batch_index(), 0u);
  EXPECT_TRUE(d.next(v));
  EXPECT_EQ(d.plans, 2);
}

TEST(EpochIterator, StateRoundTripsThroughText) {
  Draws d(7);
  std::uint64_t v;
  d.next(v);
  const IteratorState s = d.state();
  EXPECT_EQ(s.epoch, 0u);
  EXPECT_EQ(s.batch, 1u);
  EXPECT_EQ(IteratorState::parse(s.str()), s);
  EXPECT_THROW(IteratorState::parse("x y"), ValueError);
  EXPECT_THROW(IteratorState::parse("1 2"), ValueError);
}

TEST(EpochIterator, RestoreReplaysFromAnyPoint) {
  Draws reference(3);
  std::vector<IteratorState> states;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 10; ++i) {
    states.push_back(reference.state());
    std::uint64_t v = 0;
    values.push_back(reference.next(v) ? v : 1000);
  }
  for (std::size_t from = 0; from < states.size(); ++from) {
    Draws d(12345);
    d.restore(states[from]);
    for (std::size_t i = from; i < values.size(); ++i) {
      std::uint64_t v = 0;
      EXPECT_EQ(d.next(v) ? v : 1000, values[i]) << "from " << from << " at " << i;
    }
  }
  Draws d(1);
  EXPECT_THROW(d.restore({0, 4, Generator(1).state()}), ValueError);
}

}  // namespace
}  // namespace tg::data
