#pragma once
// The one place tapegrad includes xtensor: a version change of the array library touches this file only.
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xindex_view.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xsort.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#include <xsimd/xsimd.hpp>  // explicit SIMD for the row kernels (autograd/ops/kernels.hpp)

#include <cstdint>

namespace tg {

/// Shape of a tensor: xtensor's small vector, so `{3, 4}` works wherever a shape is asked for.
using Shape = xt::svector<std::size_t, 4>;
/// Integer arrays for token ids, class targets and gather indices.
using Index = std::int64_t;
using IndexArray = xt::xarray<Index>;
/// Boolean arrays for masks (`true` = keep / valid, unless an op says otherwise).
using Mask = xt::xarray<bool>;

}  // namespace tg
