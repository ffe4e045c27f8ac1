// .npz reading and writing: a minimal zip container (STORED on write; STORED or DEFLATE on read)
// around .npy v1/v2/v3 members. Every read is bounds-checked, because these files come from outside.
#include "autograd/npz.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <variant>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace tg {

static_assert(std::endian::native == std::endian::little, "npz I/O assumes a little-endian host");

namespace {

using Bytes = std::vector<unsigned char>;

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndOfCentralDirSignature = 0x06054b50;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kEndOfCentralDirSize = 22;
constexpr std::uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // fixed timestamp: reproducible files
constexpr char kNpyMagic[] = "\x93NUMPY";

// ---- reading --------------------------------------------------------------------------------

/// Little-endian reads from a byte range that throw instead of running past its end.
class Reader {
 public:
  Reader(const unsigned char* data, std::size_t size, std::string context)
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
  Reader with_context(std::string context) const { return Reader(data_, size_, std::move(context)); }

 private:
  const unsigned char* data_;
  std::size_t size_;
  std::string context_;
};

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail<IoError>("load_npz: cannot open '{}': {}", path, std::strerror(errno));
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail<IoError>("load_npz: error reading '{}'", path);
  return bytes;
}

struct Member {
  std::string name;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;
  std::uint64_t local_offset = 0;
};

/// The members listed in the central directory (the authoritative sizes: numpy's local headers
/// carry zip64 placeholders).
std::vector<Member> read_central_directory(const Reader& file, const std::string& where) {
  if (file.size() < kEndOfCentralDirSize)
    fail<IoError>("{}: not a zip file ({} bytes, too short for an end-of-central-directory record)", where,
                  file.size());
  // The end record sits at the end, followed by a comment of at most 65535 bytes.
  std::optional<std::size_t> end;
  const std::size_t lowest = file.size() >= kEndOfCentralDirSize + 65535 ? file.size() - kEndOfCentralDirSize - 65535 : 0;
  for (std::size_t pos = file.size() - kEndOfCentralDirSize + 1; pos-- > lowest;)
    if (file.read_at<std::uint32_t>(pos) == kEndOfCentralDirSignature) {
      end = pos;
      break;
    }
  if (!end) fail<IoError>("{}: not a zip file (no end-of-central-directory record; bad magic or truncated)", where);
  const auto disk = file.read_at<std::uint16_t>(*end + 4);
  const auto count = file.read_at<std::uint16_t>(*end + 10);
  const auto dir_size = file.read_at<std::uint32_t>(*end + 12);
  const auto dir_offset = file.read_at<std::uint32_t>(*end + 16);
  if (count == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF)
    fail<IoError>("{}: zip64 archives (over 4 GiB or 65535 members) are not supported", where);
  if (disk != 0) fail<IoError>("{}: multi-disk zip archives are not supported", where);
  if (std::uint64_t(dir_offset) + dir_size > *end)
    fail<IoError>("{}: central directory (offset {}, {} bytes) runs past its end record at {}", where, dir_offset,
                  dir_size, *end);

  std::vector<Member> members;
  std::size_t pos = dir_offset;
  for (std::size_t i = 0; i < count; ++i) {
    if (file.read_at<std::uint32_t>(pos) != kCentralHeaderSignature)
      fail<IoError>("{}: central directory entry {} has a bad signature", where, i);
    Member m;
    const auto flags = file.read_at<std::uint16_t>(pos + 8);
    m.method = file.read_at<std::uint16_t>(pos + 10);
    m.crc = file.read_at<std::uint32_t>(pos + 16);
    m.compressed_size = file.read_at<std::uint32_t>(pos + 20);
    m.size = file.read_at<std::uint32_t>(pos + 24);
    const auto name_length = file.read_at<std::uint16_t>(pos + 28);
    const auto extra_length = file.read_at<std::uint16_t>(pos + 30);
    const auto comment_length = file.read_at<std::uint16_t>(pos + 32);
    m.local_offset = file.read_at<std::uint32_t>(pos + 42);
    const auto* name = file.at(pos + kCentralHeaderSize, name_length);
    m.name.assign(reinterpret_cast<const char*>(name), name_length);
    if (m.compressed_size == 0xFFFFFFFF || m.size == 0xFFFFFFFF || m.local_offset == 0xFFFFFFFF)
      fail<IoError>("{}: member '{}' uses zip64 sizes, which are not supported", where, m.name);
    if (flags & 1) fail<IoError>("{}: member '{}' is encrypted", where, m.name);
    members.push_back(std::move(m));
    pos += kCentralHeaderSize + name_length + extra_length + comment_length;
  }
  return members;
}

/// The uncompressed bytes of one member, CRC-checked.
Bytes member_bytes(const Reader& archive, const Member& m, const std::string& where) {
  const Reader file = archive.with_context(where);
  const std::size_t local = m.local_offset;
  if (file.read_at<std::uint32_t>(local) != kLocalHeaderSignature)
    fail<IoError>("{}: bad local header signature at offset {}", where, local);
  const std::size_t data_offset = local + kLocalHeaderSize + file.read_at<std::uint16_t>(local + 26) +
                                  file.read_at<std::uint16_t>(local + 28);
  const unsigned char* stored = file.at(data_offset, m.compressed_size);

  Bytes out;
  if (m.method == 0) {
    if (m.compressed_size != m.size)
      fail<IoError>("{}: stored member has compressed size {} but size {}", where, m.compressed_size,
                    m.size);
    out.assign(stored, stored + m.size);
  } else if (m.method == 8) {
    // The declared size bounds the allocation, and deflate cannot exceed about 1032:1, so a forged
    // size cannot make us allocate gigabytes for a tiny file.
    if (m.size > m.compressed_size * 1032 + 1024)
      fail<IoError>("{}: declared size {} is impossible for {} deflated bytes", where, m.size, m.compressed_size);
    out.resize(m.size);
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail<IoError>("{}: zlib initialisation failed", where);
    z.next_in = const_cast<unsigned char*>(stored);
    z.avail_in = static_cast<uInt>(m.compressed_size);
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    unsigned char probe = 0;
    int status = inflate(&z, Z_FINISH);
    const std::size_t produced = z.total_out;
    if (status == Z_BUF_ERROR && z.avail_out == 0) {  // output full: is there more?
      z.next_out = &probe;
      z.avail_out = 1;
      status = inflate(&z, Z_FINISH);
    }
    const std::size_t total = z.total_out;
    inflateEnd(&z);
    if (status != Z_STREAM_END || total != m.size)
      fail<IoError>("{}: does not inflate to its declared {} bytes (corrupt deflate stream{})", where,
                    m.size, total > produced ? ", longer than declared" : "");
  } else {
    fail<IoError>("{}: uses zip compression method {}; only stored (0) and deflate (8) are supported",
                  where, m.method);
  }
  const std::uint32_t crc = static_cast<std::uint32_t>(crc32(0L, out.data(), static_cast<uInt>(out.size())));
  if (crc != m.crc)
    fail<IoError>("{}: CRC check failed (stored {:08x}, computed {:08x})", where, m.crc, crc);
  return out;
}

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

/// One parsed member: float arrays become tensors, integer and bool arrays stay int64.
using NpyArray = std::variant<Tensor, IndexArray>;

bool is_integer(const std::string& descr) { return descr[1] == 'i' || descr[1] == 'u' || descr[1] == 'b'; }

NpyArray parse_npy(const Bytes& bytes, const std::string& where) {
  Reader npy(bytes.data(), bytes.size(), where);
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

template <class U>
void put(Bytes& out, U value) {
  unsigned char raw[sizeof(U)];
  std::memcpy(raw, &value, sizeof(U));
  out.insert(out.end(), raw, raw + sizeof(U));
}

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

Bytes npy_bytes(const Tensor& t) {
  return visit_dtype(t.dtype(), [&]<class T>() {
    return npy_bytes(t.dtype() == kFloat32 ? "<f4" : "<f8", t.shape(), t.data<T>().data(), t.numel() * sizeof(T));
  });
}

Bytes npy_bytes(const IndexArray& a) {
  return npy_bytes("<i8", Shape(a.shape().begin(), a.shape().end()), a.data(), a.size() * sizeof(Index));
}

/// Checks the version member of a loaded archive (a 0-d int64, so `numpy.load(path)["__tapegrad__"]`
/// reads it too) and removes it. Archives without one (written by numpy) are accepted as they are.
void check_and_strip_version(NpzArrays& loaded) {
  const auto it = loaded.integers.find(kNpzVersionKey);
  const bool as_float = loaded.tensors.contains(kNpzVersionKey);
  if (it == loaded.integers.end() && !as_float) return;
  if (as_float || it->second.dimension() != 0 || it->second() < 1)
    fail<IoError>("{}: member '{}.npy' is not a format version (shape {}, expected a positive 0-d integer)",
                  loaded.source, kNpzVersionKey,
                  as_float ? shape_str(loaded.tensors.at(kNpzVersionKey).shape()) : shape_str(it->second.shape()));
  if (it->second() > kNpzFormatVersion)
    fail<IoError>("{}: written in tapegrad npz format version {}, newer than this build reads ({})", loaded.source,
                  it->second(), kNpzFormatVersion);
  loaded.integers.erase(it);
}

/// The members of an archive in memory; `name` stands for the file in error messages.
NpzArrays read_archive(std::string_view bytes, const std::string& name) {
  NpzArrays out{fmt::format("load_npz('{}')", name), {}, {}};
  Reader file(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.source);
  for (const Member& m : read_central_directory(file, out.source)) {
    const std::string member_where = fmt::format("{}, member '{}'", out.source, m.name);
    constexpr std::string_view suffix = ".npy";
    if (m.name.size() <= suffix.size() || !m.name.ends_with(suffix))
      fail<IoError>("{}: member name does not end in .npy", member_where);
    const std::string key = m.name.substr(0, m.name.size() - suffix.size());
    if (out.tensors.contains(key) || out.integers.contains(key))
      fail<IoError>("{}: duplicate key '{}'", member_where, key);
    NpyArray array = parse_npy(member_bytes(file, m, member_where), member_where);
    if (auto* integers = std::get_if<IndexArray>(&array)) out.integers.emplace(key, std::move(*integers));
    else out.tensors.emplace(key, std::get<Tensor>(std::move(array)));
  }
  check_and_strip_version(out);
  return out;
}

/// Integer members as float32, for load_npz: refused where float32 would change a value.
StateDict as_float_tensors(NpzArrays arrays) {
  StateDict out = std::move(arrays.tensors);
  for (const auto& [key, integers] : arrays.integers) {
    xt::xarray<float> floats = xt::cast<float>(integers);
    for (std::size_t i = 0; i < integers.size(); ++i) {
      const float f = floats.data()[i];
      const bool exact = f >= -0x1p63f && f < 0x1p63f && static_cast<Index>(f) == integers.data()[i];
      if (!exact)
        fail<IoError>("{}, member '{}.npy': integer {} at index {} is not exact in float32; load_npz_arrays keeps "
                      "integer arrays exact", arrays.source, key, integers.data()[i], i);
    }
    out.emplace(key, Tensor(std::move(floats)));
  }
  return out;
}

[[noreturn]] void fail_no_member(const NpzArrays& arrays, const std::string& key) {
  std::vector<std::string> keys;
  for (const auto& entry : arrays.tensors) keys.push_back(entry.first);
  for (const auto& entry : arrays.integers) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end());
  fail<IoError>("{}: no member '{}' (members: {})", arrays.source, key, fmt::join(keys, ", "));
}

/// Writes to a temporary file beside `path` and renames it over `path` only once it is on disk,
/// so a crash leaves either the old file or the new one, never half of one. The temporary file is
/// unnamed while it is written (O_TMPFILE), so a process killed mid-write leaves nothing behind; it
/// gets a name only for the rename. Filesystems without O_TMPFILE get a named one (mkstemp).
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& path) : path_(path) {
    const std::string dir = std::filesystem::path(path).parent_path().string();
    dir_ = dir.empty() ? "." : dir;
    remove_stale_temporaries();
    int fd = ::open(dir_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0 && (errno == EISDIR || errno == EOPNOTSUPP || errno == EINVAL)) {
      std::string pattern = path + ".tmp.XXXXXX";
      fd = mkstemp(pattern.data());
      if (fd >= 0) temp_ = pattern;
    }
    if (fd < 0) fail<IoError>("save_npz: cannot create a temporary file beside '{}': {}", path, std::strerror(errno));
    file_ = fdopen(fd, "wb");
    if (!file_) {
      ::close(fd);
      abandon();
      fail<IoError>("save_npz: cannot open a temporary file beside '{}' for writing", path_);
    }
  }
  ~AtomicFile() {
    if (file_) std::fclose(file_);
    if (!committed_) abandon();
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const Bytes& bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
      fail<IoError>("save_npz: writing beside '{}' failed: {}", path_, std::strerror(errno));
  }
  void commit() {
    if (std::fflush(file_) != 0 || fsync(fileno(file_)) != 0)
      fail<IoError>("save_npz: flushing the temporary file beside '{}' failed: {}", path_, std::strerror(errno));
    if (temp_.empty()) name_anonymous_file();
    const int status = std::fclose(file_);
    file_ = nullptr;
    if (status != 0) fail<IoError>("save_npz: closing '{}' failed: {}", temp_, std::strerror(errno));
    if (std::rename(temp_.c_str(), path_.c_str()) != 0)
      fail<IoError>("save_npz: renaming '{}' to '{}' failed: {}", temp_, path_, std::strerror(errno));
    committed_ = true;
    // Make the rename itself durable.
    const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      fsync(dir_fd);
      ::close(dir_fd);
    }
  }

 private:
  /// Links the O_TMPFILE file into the folder under a fresh name (linkat cannot replace `path`).
  void name_anonymous_file() {
    const std::string proc = fmt::format("/proc/self/fd/{}", fileno(file_));
    for (int attempt = 0;; ++attempt) {
      temp_ = fmt::format("{}.tmp.{}.{}", path_, ::getpid(), attempt);
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, temp_.c_str(), AT_SYMLINK_FOLLOW) == 0) return;
      // EEXIST: a leftover of a killed process that had the same pid; take the next name.
      if (errno != EEXIST || attempt == 100) {
        const int error = errno;
        temp_.clear();
        fail<IoError>("save_npz: cannot name the temporary file beside '{}': {}", path_, std::strerror(error));
      }
    }
  }
  void abandon() {
    if (!temp_.empty()) std::remove(temp_.c_str());
  }
  /// Removes `<path>.tmp.<pid>.<n>` files of writers that no longer run: a writer killed between
  /// naming its file and renaming it leaves one; the next save of the same path cleans it up.
  void remove_stale_temporaries() const {
    const std::string prefix = std::filesystem::path(path_).filename().string() + ".tmp.";
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(prefix)) continue;
      const std::string rest = name.substr(prefix.size());
      const std::size_t dot = rest.find('.');
      if (dot == std::string::npos || dot == 0 || rest.find_first_not_of("0123456789.") != std::string::npos) continue;
      const long pid = std::strtol(rest.substr(0, dot).c_str(), nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), error);
    }
  }

  std::string path_, dir_, temp_;  // temp_ is empty while the file has no name
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

}  // namespace

void save_npz(const std::string& path, const StateDict& tensors, const IndexDict& integers) {
  auto check_key = [&](const std::string& key) {
    if (key.empty()) fail<ValueError>("save_npz('{}'): empty key", path);
    if (key == kNpzVersionKey) fail<ValueError>("save_npz('{}'): key '{}' is reserved for the format version", path, key);
    if (key.size() + 4 > 0xFFFF) fail<ValueError>("save_npz('{}'): key '{:.40}...' is too long", path, key);
  };
  for (const auto& [key, tensor] : tensors) {
    if (!tensor.defined()) fail<ValueError>("save_npz('{}'): tensor '{}' is undefined", path, key);
    check_key(key);
  }
  for (const auto& [key, array] : integers) {
    check_key(key);
    if (tensors.contains(key))
      fail<ValueError>("save_npz('{}'): key '{}' is both a tensor and an integer array", path, key);
  }
  AtomicFile file(path);
  Bytes directory;
  std::uint64_t offset = 0;
  std::size_t count = 0;
  auto write_member = [&](const std::string& key, const Bytes& npy) {
    const std::string name = key + ".npy";
    if (offset + npy.size() + kLocalHeaderSize + name.size() >= 0xFFFFFFFF)
      fail<IoError>("save_npz('{}'): the archive would exceed 4 GiB at '{}' (zip64 is not supported)", path, key);
    const auto crc = static_cast<std::uint32_t>(crc32(0L, npy.data(), static_cast<uInt>(npy.size())));
    const auto size = static_cast<std::uint32_t>(npy.size());
    const auto name_length = static_cast<std::uint16_t>(name.size());

    Bytes local;
    put<std::uint32_t>(local, kLocalHeaderSignature);
    put<std::uint16_t>(local, 20);  // version needed: 2.0
    put<std::uint16_t>(local, 0);   // flags
    put<std::uint16_t>(local, 0);   // method: stored
    put<std::uint16_t>(local, 0);   // time
    put<std::uint16_t>(local, kDosDate1980);
    put<std::uint32_t>(local, crc);
    put<std::uint32_t>(local, size);  // compressed
    put<std::uint32_t>(local, size);
    put<std::uint16_t>(local, name_length);
    put<std::uint16_t>(local, 0);  // extra
    local.insert(local.end(), name.begin(), name.end());
    file.write(local);
    file.write(npy);

    put<std::uint32_t>(directory, kCentralHeaderSignature);
    put<std::uint16_t>(directory, 20);  // version made by
    directory.insert(directory.end(), local.begin() + 4, local.begin() + 28);  // same fields as local
    put<std::uint16_t>(directory, 0);   // extra
    put<std::uint16_t>(directory, 0);   // comment
    put<std::uint16_t>(directory, 0);   // disk
    put<std::uint16_t>(directory, 0);   // internal attributes
    put<std::uint32_t>(directory, 0);   // external attributes
    put<std::uint32_t>(directory, static_cast<std::uint32_t>(offset));
    directory.insert(directory.end(), name.begin(), name.end());
    offset += local.size() + npy.size();
    ++count;
  };
  // The version member goes first, so that a reader meets it before any array. Members are
  // serialized one at a time: a checkpoint never needs twice its size in memory.
  write_member(kNpzVersionKey, npy_bytes(IndexArray(Index(kNpzFormatVersion))));
  for (const auto& [key, tensor] : tensors) write_member(key, npy_bytes(tensor));
  for (const auto& [key, array] : integers) write_member(key, npy_bytes(array));
  if (count >= 0xFFFF || offset + directory.size() >= 0xFFFFFFFF)
    fail<IoError>("save_npz('{}'): {} arrays / {} bytes need zip64, which is not supported", path, count,
                  offset + directory.size());
  Bytes end;
  put<std::uint32_t>(end, kEndOfCentralDirSignature);
  put<std::uint16_t>(end, 0);  // this disk
  put<std::uint16_t>(end, 0);  // disk with the directory
  put<std::uint16_t>(end, static_cast<std::uint16_t>(count));
  put<std::uint16_t>(end, static_cast<std::uint16_t>(count));
  put<std::uint32_t>(end, static_cast<std::uint32_t>(directory.size()));
  put<std::uint32_t>(end, static_cast<std::uint32_t>(offset));
  put<std::uint16_t>(end, 0);  // comment
  file.write(directory);
  file.write(end);
  file.commit();
}

const Tensor& NpzArrays::tensor(const std::string& key) const {
  if (const auto it = tensors.find(key); it != tensors.end()) return it->second;
  if (integers.contains(key)) fail<DtypeError>("{}: '{}' is an integer array; read it with integer()", source, key);
  fail_no_member(*this, key);
}

const IndexArray& NpzArrays::integer(const std::string& key) const {
  if (const auto it = integers.find(key); it != integers.end()) return it->second;
  if (const auto it = tensors.find(key); it != tensors.end())
    fail<DtypeError>("{}: '{}' is a {} array; read it with tensor()", source, key, dtype_name(it->second.dtype()));
  fail_no_member(*this, key);
}

NpzArrays load_npz_arrays(const std::string& path) {
  const Bytes bytes = read_file(path);
  return read_archive(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

StateDict load_npz(const std::string& path) { return as_float_tensors(load_npz_arrays(path)); }

StateDict load_npz_bytes(std::string_view bytes, const std::string& name) {
  return as_float_tensors(read_archive(bytes, name));
}

}  // namespace tg
