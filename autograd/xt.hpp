#pragma once
// The one place tapegrad includes xtensor: a version change of the array library touches this file only.

// The array types in tapegrad's signatures must be the same types in the library and in every
// program that uses it, whatever instruction set either is compiled for. xtensor's default
// allocator takes its alignment from the flags of the file that includes it (16 bytes for SSE2, 32
// for AVX2, 64 for AVX-512), which would make xt::xarray<T> a different type in a program built
// with other -m flags than the library, and its buffers too little aligned for the library's loads.
// tapegrad fixes it at 64 bytes for everyone. The CMake target exports the same definitions, so
// the order of includes does not matter there; the static_assert below catches it elsewhere.
#ifndef XTENSOR_USE_XSIMD
#define XTENSOR_USE_XSIMD
#endif
#ifndef XTENSOR_DEFAULT_ALIGNMENT
#define XTENSOR_DEFAULT_ALIGNMENT 64
#endif
#ifndef XTENSOR_DEFAULT_ALLOCATOR
#define XTENSOR_DEFAULT_ALLOCATOR(T) xsimd::aligned_allocator<T, 64>
#endif

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

static_assert(std::is_same_v<xt::xarray<float>::allocator_type, xsimd::aligned_allocator<float, 64>> &&
                  XTENSOR_DEFAULT_ALIGNMENT == 64,
              "tapegrad needs xtensor's arrays 64-byte aligned: include tapegrad before any xtensor header, "
              "or compile with the definitions the tapegrad::tapegrad CMake target exports");

namespace tg {

/// Shape of a tensor: xtensor's small vector, so `{3, 4}` works wherever a shape is asked for.
using Shape = xt::svector<std::size_t, 4>;
/// Integer arrays for token ids, class targets and gather indices.
using Index = std::int64_t;
using IndexArray = xt::xarray<Index>;
/// Boolean arrays for masks (`true` = keep / valid, unless an op says otherwise).
using Mask = xt::xarray<bool>;

}  // namespace tg
