#pragma once
// Internal to the .npz reader and writer: the zip container. Reads the central directory and
// STORED or DEFLATE members (CRC-32 checked); writes STORED members with a fixed timestamp, so the
// same arrays give the same file. Zip64, encryption and multi-disk archives are refused.
#include "autograd/io/bytes.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tg::detail::io {

/// One entry of a zip's central directory.
struct ZipMember {
  std::string name;
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;
  std::uint64_t local_offset = 0;
};

/// The members listed in the central directory (the authoritative sizes: numpy's local headers
/// carry zip64 placeholders). `where` starts every error message.
std::vector<ZipMember> read_zip_directory(const ByteReader& file, const std::string& where);

/// The uncompressed bytes of one member, CRC-checked; `where` names the member in errors.
Bytes read_zip_member(const ByteReader& archive, const ZipMember& member, const std::string& where);

/// Writes a zip archive member by member into `sink`, so that only one member is in memory at a
/// time; the central directory is kept until finish() writes it with the end record.
///
///     ZipWriter zip([&](const Bytes& b) { file.write(b); }, "save_npz('m.npz')");
///     zip.add("w.npy", npy, "w");
///     zip.finish();
class ZipWriter {
 public:
  using Sink = std::function<void(const Bytes&)>;
  /// `where` starts every error message.
  ZipWriter(Sink sink, std::string where) : sink_(std::move(sink)), where_(std::move(where)) {}

  /// Appends member `name` holding `data` (STORED); `label` names it in errors (save_npz: the key).
  /// IoError where the archive would pass 4 GiB.
  void add(const std::string& name, const Bytes& data, std::string_view label);
  /// Writes the central directory and the end record. IoError where they would need zip64.
  void finish();

 private:
  Sink sink_;
  std::string where_;
  Bytes directory_;
  std::uint64_t offset_ = 0;
  std::size_t count_ = 0;
};

}  // namespace tg::detail::io
