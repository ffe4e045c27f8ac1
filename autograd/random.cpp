#include "autograd/random.hpp"

#include "autograd/error.hpp"

#include <cmath>
#include <numbers>
#include <sstream>

namespace tg {

void Generator::seed(std::uint64_t seed) {
  engine_.seed(seed);
  has_spare_ = false;
}

double Generator::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0) u1 = uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2 * std::numbers::pi * u2);
  has_spare_ = true;
  return r * std::cos(2 * std::numbers::pi * u2);
}

std::uint64_t Generator::below(std::uint64_t n) {
  if (n == 0) fail<ValueError>("Generator::below: n must be positive");
  // Rejection sampling keeps the result unbiased.
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % n;
  std::uint64_t x;
  do x = engine_();
  while (x >= limit);
  return x % n;
}

std::string Generator::state() const {
  std::ostringstream os;
  os << engine_ << ' ' << has_spare_ << ' ' << std::hexfloat << spare_;
  return os.str();
}

void Generator::set_state(const std::string& state) {
  std::istringstream is(state);
  std::mt19937_64 engine;
  bool has_spare = false;
  std::string spare_text;
  is >> engine >> has_spare >> spare_text;
  if (!is) fail<ValueError>("Generator::set_state: malformed state ({} characters)", state.size());
  engine_ = engine;
  has_spare_ = has_spare;
  spare_ = std::strtod(spare_text.c_str(), nullptr);
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

std::mutex& default_generator_mutex() {
  static std::mutex mutex;
  return mutex;
}

void manual_seed(std::uint64_t seed) {
  std::lock_guard lock(default_generator_mutex());
  default_generator().seed(seed);
}

}  // namespace tg
