#pragma once
// Seedable random numbers behind every random op (randn, rand, dropout, initializers).
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace tg {

/// A 64-bit Mersenne Twister with its own normal and uniform transforms, so that a seed gives the
/// same numbers with any standard library. Copyable: a copy is a saved state.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 5489u) { this->seed(seed); }
  void seed(std::uint64_t seed);
  /// Uniform in [0, 1), 53 random bits.
  double uniform();
  /// Standard normal (Box-Muller, both values of a pair used).
  double normal();
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);
  std::mt19937_64& engine() { return engine_; }

  /// The whole state as text (for checkpoints) and back.
  std::string state() const;
  void set_state(const std::string& state);

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

/// The library's default generator, seeded by manual_seed. Lock `default_generator_mutex()` when
/// drawing from it in code that may run on several threads.
Generator& default_generator();
std::mutex& default_generator_mutex();
/// Seeds the default generator (as `torch.manual_seed`).
void manual_seed(std::uint64_t seed);

}  // namespace tg
