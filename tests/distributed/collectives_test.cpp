// The collectives under mpirun -np 3.
#include <distributed/distributed.hpp>
#include <tapegrad.hpp>

#include <gtest/gtest.h>

#include <thread>

namespace tg::distributed {
namespace {

TEST(Collectives, BroadcastGivesEveryRankRankZerosText) {
  std::string text = rank() == 0 ? "from rank 0" : std::string(static_cast<std::size_t>(rank()) * 50, 'x');
  broadcast(text);
  EXPECT_EQ(text, "from rank 0");
}

TEST(Collectives, BroadcastOfAStateDictBuildsItsTensorsOnTheOtherRanks) {
  StateDict state;
  if (rank() == 0) {
    state["m.exp_avg"] = tensor({{1, 2, 3}, {4, 5, 6}});
    state["step"] = tensor({7}, kFloat64);
  } else {
    state["stale"] = tensor({0});  // replaced, not merged
  }
  broadcast(state);
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state.at("m.exp_avg").shape(), (Shape{2, 3}));
  EXPECT_EQ(state.at("m.exp_avg").data<float>()(1, 2), 6.0f);
  EXPECT_EQ(state.at("step").dtype(), kFloat64);
  EXPECT_EQ(state.at("step").data<double>()(0), 7.0);
}

TEST(Collectives, AllReduceSumsOverRanks) {
  std::vector<double> values{1, static_cast<double>(rank())};
  all_reduce_sum(values);
  const double n = world_size();
  EXPECT_EQ(values, (std::vector<double>{n, n * (n - 1) / 2}));
}

TEST(Collectives, GatherJoinsTheRanksPiecesInRankOrderOnRankZero) {
  const auto r = static_cast<std::size_t>(rank());
  // (2, r + 1, 3): the ranks' slices of a batch along axis 1, of uneven sizes.
  xt::xarray<float> local = xt::xarray<float>::from_shape({2, r + 1, 3});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j <= r; ++j)
      for (std::size_t k = 0; k < 3; ++k) local(i, j, k) = static_cast<float>(100 * i + 10 * r + k);
  const Tensor joined = gather(from_array(local), 1);
  const std::vector<std::string> texts = gather(fmt::format("rank {}", r));
  if (rank() != 0) {
    EXPECT_FALSE(joined.defined());
    EXPECT_TRUE(texts.empty());
    return;
  }
  const std::size_t n = static_cast<std::size_t>(world_size());
  ASSERT_EQ(joined.shape(), (Shape{2, n * (n + 1) / 2, 3}));
  // Column 1 is rank 1's first row: 10 * 1.
  EXPECT_EQ(joined.data<float>()(1, 1, 2), 112.0f);
  ASSERT_EQ(texts.size(), n);
  EXPECT_EQ(texts.back(), fmt::format("rank {}", n - 1));
}

TEST(Collectives, BroadcastValuesOverwritesInPlace) {
  Tensor w = full({2, 2}, rank(), TensorOptions().requires_grad());
  const std::vector<std::pair<std::string, Tensor>> named{{"w", w}};
  broadcast_values(named);
  EXPECT_EQ(xt::amax(xt::abs(w.data<float>()))(), 0.0f);
}

// A rank that does not join a collective in time: the others throw instead of waiting for ever.
TEST(Collectives, APeerThatDoesNotJoinWithinTheTimeoutIsAClearError) {
  // Static: rank 0's abandoned all-reduce still completes into it once the late ranks join.
  static std::vector<double> late{1};
  const auto limit = timeout();
  if (rank() == 0) {
    set_timeout(std::chrono::milliseconds(300));
    try {
      all_reduce_sum(late);
      ADD_FAILURE() << "no error";
    } catch (const DistributedError& e) {
      EXPECT_NE(std::string(e.what()).find("rank 0 of " + std::to_string(world_size()) +
                                           ": all-reduce of metrics did not complete within 0.3 s: another rank has "
                                           "died or hangs"),
                std::string::npos) << e.what();
    }
    set_timeout(limit);
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    all_reduce_sum(late);
  }
  // Every rank is in step again.
  std::vector<double> one{1};
  all_reduce_sum(one);
  EXPECT_EQ(one[0], world_size());
}

}  // namespace
}  // namespace tg::distributed
