// autograd/autograd.hpp is the autograd layer's one include: with nothing else included (no
// tapegrad.hpp, no test support), what the layer declares compiles, links and runs.
#include <autograd/autograd.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

namespace {

TEST(AutogradHeader, DeclaresTheNpzIoAndTheRecurrentOps) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("tapegrad_autograd_" + std::to_string(::getpid()) + ".npz")).string();
  tg::save_npz(path, {{"w", tg::ones({2})}}, {{"lengths", tg::IndexArray{3, 1}}});
  EXPECT_EQ(tg::load_npz_arrays(path).integer("lengths"), (tg::IndexArray{3, 1}));
  EXPECT_EQ(tg::load_npz(path).at("w").shape(), (tg::Shape{2}));
  std::filesystem::remove(path);

  const tg::Tensor h = tg::rnn_cell(tg::ones({1, 2}), tg::zeros({1, 2}), tg::zeros({2, 2}), tg::Tensor(),
                                    tg::RnnNonlinearity::Relu);
  EXPECT_EQ(h.data<float>(), (xt::xarray<float>{{1, 1}}));
}

}  // namespace
