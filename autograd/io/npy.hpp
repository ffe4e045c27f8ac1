#pragma once
// Internal to the .npz reader and writer: one .npy array (a member of an .npz). Reads format
// versions 1, 2 and 3 with dtypes <f4 <f8 <f2 <i8 <i4 |b1 |u1 |i1, in C or Fortran order; writes
// version 1.0 in C order, '<f4', '<f8' or '<i8', byte for byte as numpy does.
#include "autograd/io/bytes.hpp"
#include "autograd/tensor.hpp"

#include <string>
#include <variant>

namespace tg::detail::io {

/// One parsed member: float arrays become tensors (float16 as float32), integer and bool arrays int64.
using NpyArray = std::variant<Tensor, IndexArray>;

/// The array in the bytes of an .npy file; IoError, starting with `where`, if they are not a supported one.
NpyArray parse_npy(const Bytes& bytes, const std::string& where);

/// The .npy file of a float32 or float64 tensor.
Bytes npy_bytes(const Tensor& t);
/// The .npy file of an int64 array.
Bytes npy_bytes(const IndexArray& a);

}  // namespace tg::detail::io
