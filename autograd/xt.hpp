#pragma once
// The one place tapegrad includes xtensor: a version change of the array library touches this file only.

// The array types in tapegrad's signatures must be the same types in the library and in every
// program that uses it, whatever instruction set either is compiled for. xtensor's default
// allocator takes its alignment from the flags of the file that includes it (16 bytes for SSE2, 32
// for AVX2, 64 for AVX-512), which would make xt::xarray<T> a different type in a program built
// with other -m flags than the library, and its buffers too little aligned for the library's loads.
// tapegrad fixes it at 64 bytes for everyone, with its own allocator (autograd/memory.hpp), which
// must be declared before xtensor's headers name it: include tapegrad before any xtensor header in
// a file that uses both. The static_assert below says so when the order is wrong.
#include "autograd/memory.hpp"
#ifndef XTENSOR_USE_XSIMD
#define XTENSOR_USE_XSIMD
#endif
#ifndef XTENSOR_DEFAULT_ALIGNMENT
#define XTENSOR_DEFAULT_ALIGNMENT 64
#endif
#ifndef XTENSOR_DEFAULT_ALLOCATOR
#define XTENSOR_DEFAULT_ALLOCATOR(T) tg::BufferAllocator<T>
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

static_assert(std::is_same_v<xt::xarray<float>::allocator_type, tg::BufferAllocator<float>> &&
                  XTENSOR_DEFAULT_ALIGNMENT == 64,
              "tapegrad's arrays use tg::BufferAllocator (64-byte aligned blocks): include tapegrad's headers "
              "before any xtensor header");

namespace tg {

/// Shape of a tensor: xtensor's small vector, so `{3, 4}` works wherever a shape is asked for.
using Shape = xt::svector<std::size_t, 4>;
/// Integer arrays for token ids, class targets and gather indices.
using Index = std::int64_t;
using IndexArray = xt::xarray<Index>;
/// Boolean arrays for masks (`true` = keep / valid, unless an op says otherwise).
using Mask = xt::xarray<bool>;

}  // namespace tg
