#include "support/reference.hpp"

#include "support/support.hpp"

namespace tg::test {

Reference::Reference(const std::string& name_) : name(name_), arrays(load_npz(data_path(name_))) {}

const Tensor& Reference::at(const std::string& key) const {
  auto it = arrays.find(key);
  if (it == arrays.end()) throw ValueError(fmt::format("reference {} has no '{}'", name, key));
  return it->second;
}

StateDict Reference::with_prefix(const std::string& prefix) const {
  StateDict out;
  for (const auto& [key, value] : arrays)
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = value;
  return out;
}

::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, double rtol) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "undefined tensor";
  if (actual.shape() != expected.shape())
    return ::testing::AssertionFailure() << "shape " << shape_str(actual.shape()) << " vs expected "
                                         << shape_str(expected.shape());
  const double diff = max_abs_diff(actual, expected);
  const double scale = std::max(1.0, max_abs_diff(expected, zeros_like(expected)));
  if (diff <= rtol * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max abs difference " << diff << " exceeds " << rtol << " * " << scale;
}

void expect_matches_reference(const nn::Module& module, const Reference& reference, const Tensor& y, const Tensor& x,
                              double rtol) {
  EXPECT_TRUE(all_close(y, reference.at("y"), rtol)) << reference.name << ": output";
  sum(y * reference.at("dy").to(y.dtype())).backward();
  for (const auto& [name, p] : module.named_parameters())
    EXPECT_TRUE(all_close(p.grad(), reference.at("grad." + name), rtol)) << reference.name << ": grad of " << name;
  if (x.defined()) {
    EXPECT_TRUE(all_close(x.grad(), reference.at("grad.x"), rtol)) << reference.name << ": grad of x";
  }
}

}  // namespace tg::test
