#pragma once
#include <string_view>
#include <type_traits>

namespace tg {

/// Element type of a tensor: float32 for training, float64 for gradient checking.
enum class Dtype { Float32, Float64 };
inline constexpr Dtype kFloat32 = Dtype::Float32;
inline constexpr Dtype kFloat64 = Dtype::Float64;

template <class T>
inline constexpr Dtype dtype_of = std::is_same_v<T, float> ? Dtype::Float32 : Dtype::Float64;

constexpr std::string_view dtype_name(Dtype d) { return d == Dtype::Float32 ? "float32" : "float64"; }

/// Calls `f.template operator()<T>()` with T the C++ type of `d`:
/// `visit_dtype(x.dtype(), [&]<class T>() { ... })`.
template <class F>
decltype(auto) visit_dtype(Dtype d, F&& f) {
  if (d == Dtype::Float32) return f.template operator()<float>();
  return f.template operator()<double>();
}

}  // namespace tg
