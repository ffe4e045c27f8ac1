// .npy arrays: parsing numpy's header (a Python dict literal), converting the supported dtypes, and
// writing the header numpy writes. Every read is bounds-checked, because these files come from outside.
#include "autograd/io/npy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace tg::detail::io {

namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";

// ---- .npy header: a Python dict literal ------------------------------------------------------

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, and nothing fancier.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string where) : text_(text), where_(std::move(where)) {}

  NpyHeader parse() {
    NpyHeader header;
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        header.descr = string_literal();
        has_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = boolean();
        has_order = true;
      } else if (key == "shape") {
        header.shape = tuple();
        has_shape = true;
      } else {
        bad(fmt::format("unknown key '{}'", key));
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    skip_space();
    if (pos_ != text_.size()) bad("trailing characters after the dict");
    if (!has_descr || !has_order || !has_shape) bad("missing one of 'descr', 'fortran_order', 'shape'");
    return header;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail<IoError>("{}: malformed .npy header ({} at character {}): {:.80}", where_, what, pos_, std::string(text_));
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t')) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) bad(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) bad("expected a string");
    const char quote = text_[pos_++];
    const std::size_t close = text_.find(quote, pos_);
    if (close == std::string_view::npos) bad("unterminated string");
    std::string s(text_.substr(pos_, close - pos_));
    pos_ = close + 1;
    return s;
  }
  bool boolean() {
    skip_space();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}})
      if (text_.substr(pos_, std::strlen(word)) == word) {
        pos_ += std::strlen(word);
        return value;
      }
    bad("expected True or False");
  }
  Shape tuple() {
    Shape shape;
    expect('(');
    while (!peek(')')) {
      skip_space();
      std::uint64_t n = 0;
      const std::size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        if (n > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) bad("dimension too large");
        n = n * 10 + static_cast<std::uint64_t>(text_[pos_++] - '0');
      }
      if (pos_ == start) bad("expected a non-negative integer dimension");
      if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 longs
      shape.push_back(n);
      if (!peek(')')) expect(',');
    }
    expect(')');
    return shape;
  }

  std::string_view text_;
  std::string where_;
  std::size_t pos_ = 0;
};

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  float magnitude;
  if (exponent == 0) magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // subnormal
  else if (exponent == 31) magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  return sign ? -magnitude : magnitude;
}

/// Converts `count` raw elements of numpy type `descr` into U.
template <class U>
bool convert_elements(const std::string& descr, const unsigned char* raw, std::size_t count, U* out) {
  auto each = [&]<class S>(auto convert) {
    for (std::size_t i = 0; i < count; ++i) {
      S s;
      std::memcpy(&s, raw + i * sizeof(S), sizeof(S));
      out[i] = static_cast<U>(convert(s));
    }
  };
  auto same = [](auto s) { return s; };
  if (descr == "<f4") each.template operator()<float>(same);
  else if (descr == "<f8") each.template operator()<double>(same);
  else if (descr == "<f2") each.template operator()<std::uint16_t>(half_to_float);
  else if (descr == "<i8") each.template operator()<std::int64_t>(same);
  else if (descr == "<i4") each.template operator()<std::int32_t>(same);
  else if (descr == "|i1") each.template operator()<std::int8_t>(same);
  else if (descr == "|u1") each.template operator()<std::uint8_t>(same);
  else if (descr == "|b1") each.template operator()<std::uint8_t>([](std::uint8_t b) { return b != 0; });
  else return false;
  return true;
}

std::size_t item_size(const std::string& descr) {
  if (descr == "<f8" || descr == "<i8") return 8;
  if (descr == "<f4" || descr == "<i4") return 4;
  if (descr == "<f2") return 2;
  if (descr == "|b1" || descr == "|u1" || descr == "|i1") return 1;
  return 0;
}

bool is_integer(const std::string& descr) { return descr[1] == 'i' || descr[1] == 'u' || descr[1] == 'b'; }

}  // namespace

NpyArray parse_npy(const Bytes& bytes, const std::string& where) {
  ByteReader npy(bytes.data(), bytes.size(), where);
  if (std::memcmp(npy.at(0, 6), kNpyMagic, 6) != 0) fail<IoError>("{}: not an .npy array (bad magic)", where);
  const auto major = npy.read_at<std::uint8_t>(6);
  std::size_t header_length, header_offset;
  if (major == 1) {
    header_length = npy.read_at<std::uint16_t>(8);
    header_offset = 10;
  } else if (major == 2 || major == 3) {
    header_length = npy.read_at<std::uint32_t>(8);
    header_offset = 12;
  } else {
    fail<IoError>("{}: unsupported .npy format version {}", where, major);
  }
  const auto* text = reinterpret_cast<const char*>(npy.at(header_offset, header_length));
  NpyHeader header = HeaderParser(std::string_view(text, header_length), where).parse();

  const std::size_t itemsize = item_size(header.descr);
  if (itemsize == 0)
    fail<IoError>("{}: unsupported dtype '{}' (supported: <f4 <f8 <f2 <i8 <i4 |b1 |u1 |i1)", where, header.descr);
  std::size_t count = 1;
  for (std::size_t d : header.shape) {
    if (d != 0 && count > std::numeric_limits<std::size_t>::max() / itemsize / d)
      fail<IoError>("{}: shape {} is too large", where, shape_str(header.shape));
    count *= d;
  }
  const std::size_t data_offset = header_offset + header_length;
  if (bytes.size() - data_offset != count * itemsize)
    fail<IoError>("{}: shape {} of '{}' needs {} data bytes but the member holds {}", where,
                  shape_str(header.shape), header.descr, count * itemsize, bytes.size() - data_offset);
  const unsigned char* raw = npy.at(data_offset, count * itemsize);

  // Fortran order is the transpose of the C-order array with reversed shape.
  Shape storage_shape = header.shape;
  if (header.fortran_order) std::reverse(storage_shape.begin(), storage_shape.end());
  auto build = [&]<class U>() -> NpyArray {
    xt::xarray<U> a = xt::xarray<U>::from_shape(storage_shape);
    convert_elements<U>(header.descr, raw, count, a.data());
    if (header.fortran_order && a.dimension() > 1) {
      xt::xarray<U> c_order = xt::transpose(a);
      a = std::move(c_order);
    }
    if constexpr (std::is_same_v<U, Index>) return a;
    else return Tensor(std::move(a));
  };
  if (header.descr == "<f8") return build.template operator()<double>();
  if (is_integer(header.descr)) return build.template operator()<Index>();
  return build.template operator()<float>();
}

// ---- writing --------------------------------------------------------------------------------

namespace {

/// A .npy v1.0 member: magic, header padded (as numpy does) so the data starts on a 64-byte boundary.
Bytes npy_bytes(std::string_view descr, const Shape& shape, const void* data, std::size_t data_bytes) {
  std::string dims;
  for (std::size_t d : shape) dims += fmt::format("{}, ", d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  else if (shape.size() == 1) dims.pop_back();  // "(3,)"
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, dims);
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  // Written into one buffer of the final size (one allocation, even for a large tensor).
  Bytes out(10 + header.size() + data_bytes);
  unsigned char* p = out.data();
  std::memcpy(p, kNpyMagic, 6);
  p[6] = 1;  // format version 1.0
  p[7] = 0;
  const auto header_size = static_cast<std::uint16_t>(header.size());
  std::memcpy(p + 8, &header_size, 2);
  std::memcpy(p + 10, header.data(), header.size());
  if (data_bytes) std::memcpy(p + 10 + header.size(), data, data_bytes);
  return out;
}

}  // namespace

Bytes npy_bytes(const Tensor& t) {
  return visit_dtype(t.dtype(), [&]<class T>() {
    return npy_bytes(t.dtype() == kFloat32 ? "<f4" : "<f8", t.shape(), t.data<T>().data(), t.numel() * sizeof(T));
  });
}

Bytes npy_bytes(const IndexArray& a) {
  return npy_bytes("<i8", Shape(a.shape().begin(), a.shape().end()), a.data(), a.size() * sizeof(Index));
}

}  // namespace tg::detail::io
