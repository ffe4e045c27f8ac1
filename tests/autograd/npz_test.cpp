// .npz I/O: round trips, files written by numpy (tools/references/npz.py), and malformed input.
#include "support/support.hpp"

#include <autograd/io/npz.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace tg {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / fmt::format("tapegrad_npz_{}_{}", ::getpid(), name)).string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// The IoError message of loading `path`, or a failure if it loads or throws something else.
std::string load_error(const std::string& path) {
  try {
    load_npz(path);
  } catch (const IoError& e) {
    return e.what();
  }
  ADD_FAILURE() << "load_npz('" << path << "') did not throw IoError";
  return "";
}

TEST(Npz, RoundTripsFloat32Float64ScalarsAndEmptyArrays) {
  StateDict saved{{"weight", randn({3, 4})},
                  {"encoder.bias", randn({5}, kFloat64)},
                  {"step", tensor(7.0)},
                  {"empty", zeros({0, 3})},
                  {"big", randn({2, 3, 4, 5}, kFloat64)}};
  const std::string path = temp_path("roundtrip.npz");
  save_npz(path, saved);
  StateDict loaded = load_npz(path);
  ASSERT_EQ(loaded.size(), saved.size());
  for (const auto& [key, t] : saved) {
    ASSERT_TRUE(loaded.contains(key)) << key;
    EXPECT_EQ(loaded[key].dtype(), t.dtype()) << key;
    EXPECT_EQ(loaded[key].shape(), t.shape()) << key;
    EXPECT_EQ(test::max_abs_diff(loaded[key], t), 0.0) << key;
  }
  EXPECT_EQ(loaded["step"].dim(), 0u);
  fs::remove(path);
}

TEST(Npz, SaveReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  const fs::path dir = temp_path("atomic_dir");
  fs::create_directories(dir);
  const std::string path = (dir / "m.npz").string();
  save_npz(path, {{"a", ones({2})}});
  save_npz(path, {{"b", zeros({3})}});
  StateDict loaded = load_npz(path);
  EXPECT_FALSE(loaded.contains("a"));
  EXPECT_EQ(loaded.at("b").shape(), (Shape{3}));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  EXPECT_THROW(save_npz((dir / "missing" / "m.npz").string(), {{"a", ones({2})}}), IoError);
  fs::remove_all(dir);
}

void expect_numpy_fixture(const StateDict& d) {
  ASSERT_EQ(d.size(), 11u);
  EXPECT_EQ(d.at("f4").dtype(), kFloat32);
  EXPECT_EQ(d.at("f4").shape(), (Shape{2, 3}));
  EXPECT_EQ(d.at("f4").data<float>()(1, 2), 1.25f);
  EXPECT_EQ(d.at("f8").dtype(), kFloat64);
  EXPECT_EQ(d.at("f8").data<double>()(1, 1), 1e-300);
  EXPECT_EQ(d.at("f2").dtype(), kFloat32);
  const auto& f2 = d.at("f2").data<float>();
  EXPECT_EQ(f2(0), 0.5f);
  EXPECT_EQ(f2(1), -1.0f);
  EXPECT_EQ(f2(2), 65504.0f);
  EXPECT_NEAR(f2(3), 6e-8f, 1e-9f);  // a float16 subnormal
  EXPECT_EQ(d.at("i8").data<float>(), (xt::xarray<float>{-3, 0, 7}));
  EXPECT_EQ(d.at("i4").shape(), (Shape{2, 1}));
  EXPECT_EQ(d.at("i4").data<float>()(1, 0), 2.0f);
  EXPECT_EQ(d.at("i1").data<float>(), (xt::xarray<float>{-128, 127}));
  EXPECT_EQ(d.at("u1").data<float>(), (xt::xarray<float>{0, 255}));
  EXPECT_EQ(d.at("b1").data<float>(), (xt::xarray<float>{1, 0, 1}));
  EXPECT_EQ(d.at("scalar").dim(), 0u);
  EXPECT_EQ(d.at("scalar").item(), 2.5);
  EXPECT_EQ(d.at("empty").shape(), (Shape{0, 3}));
  EXPECT_EQ(d.at("fortran").data<double>(), (xt::xarray<double>{{0, 1, 2}, {3, 4, 5}}));
}

TEST(Npz, LoadsNumpySavez) { expect_numpy_fixture(load_npz(test::data_path("npz/numpy_savez.npz"))); }

TEST(Npz, LoadsNumpySavezCompressed) {
  expect_numpy_fixture(load_npz(test::data_path("npz/numpy_savez_compressed.npz")));
}

// numpy.load cannot run in the tests, so the written .npy member is compared byte for byte with the
// member numpy wrote for the same array (and a saved file was opened with numpy.load once by hand).
TEST(Npz, WritesTheSameNpyBytesAsNumpy) {
  const std::string numpy_file = read_bytes(test::data_path("npz/numpy_savez.npz"));
  const Tensor f4 = load_npz(test::data_path("npz/numpy_savez.npz")).at("f4");
  const std::string path = temp_path("bytes.npz");
  save_npz(path, {{"f4", f4}});
  const std::string ours = read_bytes(path);
  fs::remove(path);

  auto npy_member = [](const std::string& zip) {
    const std::size_t name = zip.find("f4.npy");
    const std::size_t magic = zip.find("\x93NUMPY", name);
    return zip.substr(magic, 128 + 6 * 4);  // 128-byte header (64-aligned) + data
  };
  EXPECT_EQ(npy_member(ours), npy_member(numpy_file));
  EXPECT_NE(npy_member(ours).find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),
            std::string::npos);
  EXPECT_EQ(ours.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(ours.substr(ours.size() - 22, 4), std::string("PK\x05\x06", 4));
}

// load_npz gives float tensors, as before; an integer it cannot make an exact float32 is an error.
TEST(Npz, LoadNpzRefusesIntegersThatFloat32CannotHold) {
  const std::string path = test::data_path("npz/int64_lengths.npz");
  EXPECT_TRUE(test::throws<IoError>([&] { load_npz(path); },
                                    {"load_npz('" + path + "'), member 'lengths.npy': integer 16777217 at index 1 is not "
                                     "exact in float32; load_npz_arrays keeps integer arrays exact"}));
}

TEST(Npz, LoadNpzArraysKeepsIntegersExact) {
  const NpzArrays numpy = load_npz_arrays(test::data_path("npz/numpy_savez.npz"));
  EXPECT_EQ(numpy.tensors.size() + numpy.integers.size(), 11u);
  EXPECT_EQ(numpy.integer("i8"), (IndexArray{-3, 0, 7}));
  EXPECT_EQ(numpy.integer("i4").shape(), (IndexArray::shape_type{2, 1}));
  EXPECT_EQ(numpy.integer("i4")(1, 0), 2);
  EXPECT_EQ(numpy.integer("i1"), (IndexArray{-128, 127}));
  EXPECT_EQ(numpy.integer("u1"), (IndexArray{0, 255}));
  EXPECT_EQ(numpy.integer("b1"), (IndexArray{1, 0, 1}));
  EXPECT_EQ(numpy.tensor("f2").dtype(), kFloat32);
  EXPECT_EQ(numpy.tensor("f8").dtype(), kFloat64);

  const std::string path = test::data_path("npz/int64_lengths.npz");
  const NpzArrays file = load_npz_arrays(path);
  EXPECT_EQ(file.integer("lengths"), (IndexArray{5, (Index(1) << 24) + 1, (Index(1) << 53) + 1}));
  EXPECT_EQ(file.tensor("x").data<float>(), (xt::xarray<float>{0.5f, -1.5f}));
  EXPECT_TRUE(test::throws<DtypeError>([&] { file.tensor("lengths"); },
                                       {"load_npz('" + path + "'): 'lengths' is an integer array; read it with integer()"}));
  EXPECT_TRUE(test::throws<DtypeError>([&] { file.integer("x"); },
                                       {"'x' is a float32 array; read it with tensor()"}));
  EXPECT_TRUE(test::throws<IoError>([&] { file.integer("y"); }, {"no member 'y' (members: lengths, x)"}));
}

// Integer arrays are written as '<i8', the same bytes numpy.savez writes for int64, so numpy.load reads them.
TEST(Npz, SavesIntegerArraysAsNumpyInt64) {
  const std::string path = temp_path("integers.npz");
  const IndexArray lengths{5, (Index(1) << 53) + 1, -2};
  save_npz(path, {{"x", ones({2})}}, {{"lengths", lengths}, {"empty", IndexArray::from_shape({0, 2})}});
  const std::string bytes = read_bytes(path);
  EXPECT_NE(bytes.find("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"), std::string::npos);
  const NpzArrays loaded = load_npz_arrays(path);
  EXPECT_EQ(loaded.integer("lengths"), lengths);
  EXPECT_EQ(loaded.integer("empty").shape(), (IndexArray::shape_type{0, 2}));
  EXPECT_EQ(loaded.tensors.size(), 1u);
  EXPECT_TRUE(test::throws<ValueError>([&] { save_npz(path, {{"x", ones({2})}}, {{"x", lengths}}); },
                                       {"save_npz('" + path + "'): key 'x' is both a tensor and an integer array"}));
  fs::remove(path);
}

TEST(Npz, MalformedMembersThrowIoErrorNamingFileAndMember) {
  const std::string mismatch = load_error(test::data_path("npz/shape_mismatch.npz"));
  EXPECT_NE(mismatch.find("shape_mismatch.npz"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("member 'x.npy'"), std::string::npos) << mismatch;
  EXPECT_NE(mismatch.find("shape [5]"), std::string::npos) << mismatch;
  EXPECT_NE(load_error(test::data_path("npz/header_garbage.npz")).find("malformed .npy header"), std::string::npos);
  EXPECT_NE(load_error(test::data_path("npz/duplicate_key.npz")).find("duplicate key 'x'"), std::string::npos);
  EXPECT_NE(load_error(test::data_path("npz/big_endian.npz")).find("unsupported dtype '>f8'"), std::string::npos);
  EXPECT_NE(load_error(test::data_path("npz/complex.npz")).find("unsupported dtype '<c16'"), std::string::npos);
  EXPECT_NE(load_error(temp_path("does_not_exist.npz")).find("cannot open"), std::string::npos);
}

TEST(Npz, CorruptZipStructureThrowsIoError) {
  const std::string good = read_bytes(test::data_path("npz/numpy_savez.npz"));
  const std::string path = temp_path("corrupt.npz");

  std::string bad_crc = good;
  bad_crc[good.find("\x93NUMPY") + 150] ^= 0x01;  // a data byte of the first member
  write_bytes(path, bad_crc);
  EXPECT_NE(load_error(path).find("CRC check failed"), std::string::npos);

  write_bytes(path, "not a zip file at all, just some text that is long enough");
  EXPECT_NE(load_error(path).find("not a zip file"), std::string::npos);

  std::string zip64 = good;
  const std::size_t end = zip64.rfind("PK\x05\x06");
  zip64[end + 10] = zip64[end + 11] = '\xff';  // member count 0xFFFF marks a zip64 archive
  write_bytes(path, zip64);
  EXPECT_NE(load_error(path).find("zip64"), std::string::npos);
  fs::remove(path);
}

// The format version: written as member '__tapegrad__.npy' (first), hidden on load, checked.
TEST(Npz, WritesAFormatVersionMemberAndHidesItOnLoad) {
  const std::string path = temp_path("version.npz");
  save_npz(path, {{"w", ones({2})}});
  const std::string bytes = read_bytes(path);
  EXPECT_LT(bytes.find("__tapegrad__.npy"), bytes.find("w.npy"));
  EXPECT_NE(bytes.find("{'descr': '<i8', 'fortran_order': False, 'shape': (), }"), std::string::npos);
  const StateDict loaded = load_npz(path);
  EXPECT_EQ(loaded.size(), 1u);
  EXPECT_TRUE(loaded.contains("w"));
  EXPECT_EQ(load_npz(test::data_path("reliability/current_version.npz")).size(), 1u);
  EXPECT_THROW(save_npz(path, {{kNpzVersionKey, ones({1})}}), ValueError);
  fs::remove(path);
}

TEST(Npz, NewerOrMalformedFormatVersionThrowsIoError) {
  const std::string future = load_error(test::data_path("reliability/future_version.npz"));
  EXPECT_NE(future.find("format version 99, newer than this build reads (1)"), std::string::npos) << future;
  const std::string bad = load_error(test::data_path("reliability/bad_version.npz"));
  EXPECT_NE(bad.find("'__tapegrad__.npy' is not a format version (shape [2]"), std::string::npos) << bad;
}

// A small fuzz: every truncation and every single-byte corruption of small archives (stored and
// deflated) either loads or throws IoError; nothing else, and no out-of-bounds read (run under ASan).
void expect_loads_or_io_error(const std::string& bytes, const std::string& what) {
  try {
    load_npz_bytes(bytes, what);
  } catch (const IoError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": " << e.what();
  }
}

TEST(Npz, EveryTruncationAndByteFlipIsHandled) {
  const std::string path = temp_path("fuzz.npz");
  save_npz(path, {{"a", tensor({1, 2, 3})}, {"b", tensor(4.0)}});
  const std::string ours = read_bytes(path);
  fs::remove(path);
  for (const std::string& original : {ours, read_bytes(test::data_path("npz/big_endian.npz"))}) {
    for (std::size_t length = 0; length < original.size(); ++length)
      EXPECT_THROW(load_npz_bytes(original.substr(0, length)), IoError) << "truncated to " << length;
    for (std::size_t i = 0; i < original.size(); ++i) {
      std::string flipped = original;
      flipped[i] = static_cast<char>(~flipped[i]);
      expect_loads_or_io_error(flipped, fmt::format("byte {} flipped", i));
    }
  }
  const std::string compressed = read_bytes(test::data_path("npz/numpy_savez_compressed.npz"));
  for (std::size_t i = 0; i < compressed.size(); ++i) {
    std::string flipped = compressed;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    expect_loads_or_io_error(flipped, fmt::format("byte {} of the compressed file flipped", i));
  }
}

}  // namespace
}  // namespace tg
