// Replays every saved fuzz case (tests/data/fuzz/<target>/*: crashes found by scripts/fuzz.sh once
// fixed, and inputs that reached new code) through its target: each must load or throw a tg::Error,
// never anything else. Runs in the normal suite and under ASan/UBSan (scripts/sanitize.sh), so a
// reintroduced out-of-bounds read fails here even without the fuzzer.
#include "support/support.hpp"

#include "fuzz/targets.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace tg {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FuzzRegression, EveryCaseFolderNamesATarget) {
  for (const auto& entry : fs::directory_iterator(test::data_path("fuzz")))
    EXPECT_TRUE(fuzz::targets().contains(entry.path().filename().string()))
        << entry.path() << " is not the folder of a target in tests/fuzz/targets.hpp";
}

TEST(FuzzRegression, EveryTargetHasCases) {
  for (const auto& [name, target] : fuzz::targets()) {
    const fs::path dir = test::data_path("fuzz/" + name);
    EXPECT_TRUE(fs::is_directory(dir) && !fs::is_empty(dir)) << "no regression cases for target " << name;
  }
}

TEST(FuzzRegression, EveryCaseLoadsOrThrowsATapegradError) {
  std::size_t cases = 0;
  for (const auto& [name, target] : fuzz::targets()) {
    const fs::path dir = test::data_path("fuzz/" + name);
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string bytes = read_bytes(entry.path());
      try {
        target(bytes);
      } catch (const Error&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << name << " on " << entry.path() << " threw a non-tapegrad exception: " << e.what();
      }
      ++cases;
    }
  }
  EXPECT_GT(cases, 0u);
}

}  // namespace
}  // namespace tg
