// Crash safety of save_npz: a child process saves a multi-megabyte checkpoint in a loop and is
// SIGKILLed at random moments, many times. After every kill the checkpoint must load, bit-exactly
// equal to one complete save, never older than the one before the kill; no temporary files may pile up.
#include "support/support.hpp"

#include <autograd/io/npz.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tg {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kTensors = 8;
constexpr std::size_t kElements = 32 * 1024;  // 8 x 256 KiB of float64: a 2 MiB checkpoint

/// The checkpoint of step `step`: every value a function of the step, so a load can be checked exactly.
/// Plain loops, no tapegrad ops: it runs in a forked child, where TBB's thread pool is not usable.
StateDict checkpoint_at(std::uint64_t step) {
  StateDict d;
  for (std::size_t t = 0; t < kTensors; ++t) {
    xt::xarray<double> values = xt::xarray<double>::from_shape({kElements});
    for (std::size_t i = 0; i < kElements; ++i) values(i) = static_cast<double>(step) + 1e-6 * static_cast<double>(i + t);
    d.emplace(fmt::format("layer{}.weight", t), Tensor(std::move(values)));
  }
  d.emplace("step", Tensor(xt::xarray<double>(static_cast<double>(step))));
  return d;
}

bool bit_equal(const StateDict& a, const StateDict& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, t] : a) {
    const auto it = b.find(key);
    if (it == b.end() || it->second.shape() != t.shape() || it->second.dtype() != kFloat64) return false;
    if (std::memcmp(t.data<double>().data(), it->second.data<double>().data(), t.numel() * sizeof(double)) != 0)
      return false;
  }
  return true;
}

std::size_t files_in(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(CheckpointKill, SigkillDuringSaveAlwaysLeavesALoadableCompleteCheckpoint) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("tapegrad_kill_{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "checkpoint.npz").string();
  // Kill delays span three times one save, whatever the machine's speed: some kills land before a
  // child's first save completes, some after one or more.
  const auto start = std::chrono::steady_clock::now();
  save_npz(path, checkpoint_at(0));
  const auto save_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);

  std::mt19937 rng(12345);
  std::uniform_int_distribution<long> delay_us(0, 3 * save_us.count());
  std::uint64_t last = 0;
  int kills = 0, advanced = 0;
  std::size_t most_files = 1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  for (; kills < 50 && std::chrono::steady_clock::now() < deadline; ++kills) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0) << std::strerror(errno);
    if (child == 0) {
      try {
        for (std::uint64_t step = last + 1;; ++step) save_npz(path, checkpoint_at(step));
      } catch (...) {
      }
      ::_exit(3);
    }
    ::usleep(static_cast<useconds_t>(delay_us(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the saving child ended by itself (status " << status << "): save_npz threw";

    StateDict loaded;
    ASSERT_NO_THROW(loaded = load_npz(path)) << "after kill " << kills;
    const auto step = static_cast<std::uint64_t>(loaded.at("step").item());
    ASSERT_GE(step, last) << "the checkpoint went back in time";
    ASSERT_TRUE(bit_equal(loaded, checkpoint_at(step))) << "checkpoint of step " << step << " is not bit-exact";
    advanced += step > last;
    last = step;
    most_files = std::max(most_files, files_in(dir));
  }
  EXPECT_GE(kills, 20) << "too few kills in the time bound";
  // Kills must land both before the first save of a child completed and after some did.
  EXPECT_GT(advanced, 0);
  EXPECT_LT(advanced, kills);
  // A leftover needs a kill between link and rename; the next save removes it, so at most one lingers.
  EXPECT_LE(most_files, 2u);
  save_npz(path, checkpoint_at(last + 1));
  EXPECT_EQ(files_in(dir), 1u) << "temporary files left behind";
  RecordProperty("kills", kills);
  RecordProperty("kills_after_a_completed_save", advanced);
  RecordProperty("last_step", static_cast<int>(last));
  RecordProperty("save_us", static_cast<int>(save_us.count()));
  std::printf("%d kills (%d after at least one completed save), %llu saves completed, one save took %ld us\n", kills,
              advanced, static_cast<unsigned long long>(last), static_cast<long>(save_us.count()));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tg
