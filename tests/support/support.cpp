#include "support/support.hpp"

#include <filesystem>

namespace tg::test {

Tensor random_input(const Shape& shape, std::uint64_t seed, double scale) {
  Generator g(seed);
  Tensor t = randn(shape, kFloat64, &g);
  if (scale != 1.0) t.data<double>() *= scale;
  t.requires_grad_();
  return t;
}

::testing::AssertionResult gradcheck_op(const std::string& name,
                                        const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                        const std::vector<Tensor>& inputs, GradcheckOptions options) {
  options.raise_exception = false;
  try {
    GradcheckResult r = gradcheck(f, inputs, options);
    if (r.ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << name << ": " << r.message;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << name << ": threw " << e.what();
  }
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape())
    throw ShapeError(fmt::format("max_abs_diff: shapes {} and {}", shape_str(a.shape()), shape_str(b.shape())));
  xt::xarray<double> x = a.to(kFloat64).data<double>();
  xt::xarray<double> y = b.to(kFloat64).data<double>();
  return x.size() ? xt::amax(xt::abs(x - y))() : 0.0;
}

std::string data_path(const std::string& name) { return std::string(TAPEGRAD_TEST_DATA_DIR) + "/" + name; }

std::string shared_data_path(const std::string& name) {
  namespace fs = std::filesystem;
  for (fs::path dir = fs::path(TAPEGRAD_SOURCE_DIR); !dir.empty(); dir = dir.parent_path()) {
    fs::path candidate = dir.parent_path() / "shared" / "data" / name;
    if (fs::exists(candidate)) return candidate.string();
    if (dir == dir.parent_path()) break;
  }
  return "";
}

}  // namespace tg::test
