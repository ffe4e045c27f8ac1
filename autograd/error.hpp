#pragma once
// tapegrad's exceptions. Every message names the op or module and the offending shapes or values.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace tg {

/// Base of every exception tapegrad throws.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// Shapes that do not fit an op or module.
struct ShapeError : Error {
  using Error::Error;
};
/// A value out of range: an option, a token id, a length.
struct ValueError : Error {
  using Error::Error;
};
/// An index out of range: a token id past the embedding table, a class target, an index_select index.
/// A ValueError, so code catching ValueError still catches it.
struct IndexError : ValueError {
  using ValueError::ValueError;
};
/// float32 mixed with float64, or the wrong dtype for an operation (e.g. float32 into gradcheck).
struct DtypeError : Error {
  using Error::Error;
};
/// Misuse of the autograd graph: backward through a freed graph, grad of a tensor that needs none.
struct GraphError : Error {
  using Error::Error;
};
/// Reading or writing a file failed, or its contents are malformed.
struct IoError : Error {
  using Error::Error;
};

/// "[2, 3]" for any shape-like range.
template <class Range>
std::string shape_str(const Range& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// Throws E with a formatted message: `fail<ShapeError>("add: {} vs {}", a, b)`.
template <class E = Error, class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw E(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tg
