// .npz archives: numpy's zip of .npy arrays, named by key. This file maps keys to members and back;
// the zip container (zip.cpp), the .npy arrays (npy.cpp), the crash-safe write (atomic_file.cpp) and
// the format version (format_version.cpp) are each in their own file.
#include "autograd/io/npz.hpp"

#include "autograd/io/atomic_file.hpp"
#include "autograd/io/npy.hpp"
#include "autograd/io/zip.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>
#include <variant>

namespace tg {

using namespace detail::io;

namespace {

/// Member `<key>.npy` holds the array `key`.
constexpr std::string_view kMemberSuffix = ".npy";

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail<IoError>("load_npz: cannot open '{}': {}", path, std::strerror(errno));
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail<IoError>("load_npz: error reading '{}'", path);
  return bytes;
}

/// The members of an archive in memory; `name` stands for the file in error messages.
NpzArrays read_archive(std::string_view bytes, const std::string& name) {
  NpzArrays out{fmt::format("load_npz('{}')", name), {}, {}};
  ByteReader file(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.source);
  for (const ZipMember& m : read_zip_directory(file, out.source)) {
    const std::string member_where = fmt::format("{}, member '{}'", out.source, m.name);
    if (m.name.size() <= kMemberSuffix.size() || !m.name.ends_with(kMemberSuffix))
      fail<IoError>("{}: member name does not end in .npy", member_where);
    const std::string key = m.name.substr(0, m.name.size() - kMemberSuffix.size());
    if (out.tensors.contains(key) || out.integers.contains(key))
      fail<IoError>("{}: duplicate key '{}'", member_where, key);
    NpyArray array = parse_npy(read_zip_member(file, m, member_where), member_where);
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
  ZipWriter zip([&](const Bytes& bytes) { file.write(bytes); }, fmt::format("save_npz('{}')", path));
  auto add = [&](const std::string& key, const Bytes& npy) { zip.add(key + std::string(kMemberSuffix), npy, key); };
  // The version member goes first, so that a reader meets it before any array. Members are
  // serialized one at a time: a checkpoint never needs twice its size in memory.
  add(kNpzVersionKey, npy_bytes(format_version_array()));
  for (const auto& [key, tensor] : tensors) add(key, npy_bytes(tensor));
  for (const auto& [key, array] : integers) add(key, npy_bytes(array));
  zip.finish();
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
