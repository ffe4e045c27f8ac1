#include "support/support.hpp"

#include <autograd/io/npz.hpp>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

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

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  return visit_dtype(a.dtype(), [&]<class T>() {
    return std::memcmp(a.data<T>().data(), b.data<T>().data(), a.data<T>().size() * sizeof(T)) == 0;
  });
}

std::string data_path(const std::string& name) { return std::string(TAPEGRAD_TEST_DATA_DIR) + "/" + name; }

std::string write_temp_file(const std::string& name, const std::string& contents) {
  static std::atomic<int> counter{0};
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("tapegrad-{}-{}-{}", ::getpid(), counter++, name);
  std::ofstream(path, std::ios::binary) << contents;
  return path.string();
}

std::string shared_data_path(const std::string& name) {
  namespace fs = std::filesystem;
  for (fs::path dir = fs::path(TAPEGRAD_SOURCE_DIR); !dir.empty(); dir = dir.parent_path()) {
    fs::path candidate = dir.parent_path() / "shared" / "data" / name;
    if (fs::exists(candidate)) return candidate.string();
    if (dir == dir.parent_path()) break;
  }
  return "";
}

namespace {
/// Max |a - b| over equal shapes, with NaN == NaN; +inf when the shapes differ or one side is NaN.
double nan_aware_diff(const xt::xarray<double>& a, const xt::xarray<double>& b) {
  if (a.shape() != b.shape()) return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y)) return std::numeric_limits<double>::infinity();
    } else if (x != y) {  // equal infinities are a match
      worst = std::max(worst, std::abs(x - y));
    }
  }
  return worst;
}

xt::xarray<double> as_double(const Tensor& t) { return t.to(kFloat64).data<double>(); }
}  // namespace

::testing::AssertionResult matches_reference(const std::string& file,
                                             const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                             double atol) {
  StateDict ref = load_npz(data_path(file));
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; ref.count(fmt::format("x{}", i)); ++i)
    inputs.push_back(ref.at(fmt::format("x{}", i)).to(kFloat64).clone_leaf(true));
  Tensor y = f(inputs);
  const double dy = nan_aware_diff(as_double(y), as_double(ref.at("y")));
  if (!(dy <= atol))
    return ::testing::AssertionFailure() << file << ": output differs by " << dy << "\n got " << y.str()
                                         << "\n want " << ref.at("y").str();
  y.backward(ref.at("w").to(y.dtype()));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor want = ref.at(fmt::format("dx{}", i));
    const Tensor got = inputs[i].grad().defined() ? inputs[i].grad() : zeros_like(want);
    const double d = nan_aware_diff(as_double(got), as_double(want));
    if (!(d <= atol))
      return ::testing::AssertionFailure() << file << ": gradient of input " << i << " differs by " << d
                                           << "\n got " << got.str() << "\n want " << want.str();
  }
  return ::testing::AssertionSuccess();
}

IndexArray reference_ids(const std::string& file, const std::string& key) {
  return xt::cast<Index>(load_npz(data_path(file)).at(key).to(kFloat64).data<double>());
}

}  // namespace tg::test
