// The zip container of .npz files. Every read is bounds-checked, because these files come from outside.
#include "autograd/io/zip.hpp"

#include <zlib.h>

#include <optional>

namespace tg::detail::io {

namespace {

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndOfCentralDirSignature = 0x06054b50;
constexpr std::size_t kLocalHeaderSize = 30;
constexpr std::size_t kCentralHeaderSize = 46;
constexpr std::size_t kEndOfCentralDirSize = 22;
constexpr std::uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // fixed timestamp: reproducible files

std::uint32_t crc32_of(const Bytes& bytes) {
  return static_cast<std::uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

/// Appends `value` little-endian. (Grown with resize, not insert: GCC 12 warns falsely,
/// -Wstringop-overflow, on a 4-byte insert into an empty vector once this is inlined.)
template <class U>
void put(Bytes& out, U value) {
  const std::size_t at = out.size();
  out.resize(at + sizeof(U));
  std::memcpy(out.data() + at, &value, sizeof(U));
}

}  // namespace

// ---- reading --------------------------------------------------------------------------------

std::vector<ZipMember> read_zip_directory(const ByteReader& file, const std::string& where) {
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

  std::vector<ZipMember> members;
  std::size_t pos = dir_offset;
  for (std::size_t i = 0; i < count; ++i) {
    if (file.read_at<std::uint32_t>(pos) != kCentralHeaderSignature)
      fail<IoError>("{}: central directory entry {} has a bad signature", where, i);
    ZipMember m;
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

Bytes read_zip_member(const ByteReader& archive, const ZipMember& m, const std::string& where) {
  const ByteReader file = archive.with_context(where);
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
  const std::uint32_t crc = crc32_of(out);
  if (crc != m.crc)
    fail<IoError>("{}: CRC check failed (stored {:08x}, computed {:08x})", where, m.crc, crc);
  return out;
}

// ---- writing --------------------------------------------------------------------------------

void ZipWriter::add(const std::string& name, const Bytes& data, std::string_view label) {
  if (offset_ + data.size() + kLocalHeaderSize + name.size() >= 0xFFFFFFFF)
    fail<IoError>("{}: the archive would exceed 4 GiB at '{}' (zip64 is not supported)", where_, label);
  const auto crc = crc32_of(data);
  const auto size = static_cast<std::uint32_t>(data.size());
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
  sink_(local);
  sink_(data);

  put<std::uint32_t>(directory_, kCentralHeaderSignature);
  put<std::uint16_t>(directory_, 20);  // version made by
  directory_.insert(directory_.end(), local.begin() + 4, local.begin() + 28);  // same fields as local
  put<std::uint16_t>(directory_, 0);   // extra
  put<std::uint16_t>(directory_, 0);   // comment
  put<std::uint16_t>(directory_, 0);   // disk
  put<std::uint16_t>(directory_, 0);   // internal attributes
  put<std::uint32_t>(directory_, 0);   // external attributes
  put<std::uint32_t>(directory_, static_cast<std::uint32_t>(offset_));
  directory_.insert(directory_.end(), name.begin(), name.end());
  offset_ += local.size() + data.size();
  ++count_;
}

void ZipWriter::finish() {
  if (count_ >= 0xFFFF || offset_ + directory_.size() >= 0xFFFFFFFF)
    fail<IoError>("{}: {} arrays / {} bytes need zip64, which is not supported", where_, count_,
                  offset_ + directory_.size());
  Bytes end;
  put<std::uint32_t>(end, kEndOfCentralDirSignature);
  put<std::uint16_t>(end, 0);  // this disk
  put<std::uint16_t>(end, 0);  // disk with the directory
  put<std::uint16_t>(end, static_cast<std::uint16_t>(count_));
  put<std::uint16_t>(end, static_cast<std::uint16_t>(count_));
  put<std::uint32_t>(end, static_cast<std::uint32_t>(directory_.size()));
  put<std::uint32_t>(end, static_cast<std::uint32_t>(offset_));
  put<std::uint16_t>(end, 0);  // comment
  sink_(directory_);
  sink_(end);
}

}  // namespace tg::detail::io
