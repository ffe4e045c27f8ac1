#pragma once
// Internal to the .npz reader and writer: a byte buffer, and bounds-checked little-endian reads
// from bytes that come from outside (a zip archive, an .npy member).
#include "autograd/error.hpp"

#include <bit>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace tg::detail::io {

static_assert(std::endian::native == std::endian::little, "npz I/O assumes a little-endian host");

using Bytes = std::vector<unsigned char>;

/// Little-endian reads from a byte range that throw IoError instead of running past its end.
class ByteReader {
 public:
  ByteReader(const unsigned char* data, std::size_t size, std::string context)
      : data_(data), size_(size), context_(std::move(context)) {}

  template <class U>
  U read_at(std::size_t offset) const {
    require(offset, sizeof(U));
    U value;
    std::memcpy(&value, data_ + offset, sizeof(U));
    return value;
  }
  void require(std::size_t offset, std::size_t length) const {
    if (offset > size_ || length > size_ - offset)
      fail<IoError>("{}: truncated (needs {} bytes at offset {}, only {} available)", context_, length, offset, size_);
  }
  const unsigned char* at(std::size_t offset, std::size_t length) const {
    require(offset, length);
    return data_ + offset;
  }
  std::size_t size() const { return size_; }
  /// The same bytes, with errors reported under another name (e.g. the member being read).
  ByteReader with_context(std::string context) const { return ByteReader(data_, size_, std::move(context)); }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::string context_;
};

}  // namespace tg::detail::io
