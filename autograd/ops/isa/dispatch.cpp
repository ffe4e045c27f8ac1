// Chooses the kernel table: the best instruction set the CPU runs, unless TAPEGRAD_ISA or
// set_simd_isa says otherwise.
#include "autograd/error.hpp"
#include "autograd/isa.hpp"
#include "autograd/ops/isa/table.hpp"

#include <xsimd/xsimd.hpp>

#include <atomic>
#include <cstdlib>

namespace tg {
namespace detail::isa {
namespace {

struct Tables {
  Isa id;
  KernelTable<float> f;
  KernelTable<double> d;
};

/// The instruction sets this CPU runs, best first, each with its tables.
const std::vector<Tables>& available() {
  static const std::vector<Tables> tables = [] {
    std::vector<Tables> t;
    // GCC's CPU check also asks the OS whether it saves the AVX registers (xsimd 8.1's does not).
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
      t.push_back({Isa::avx512, table_for<xsimd::avx512f, float>(), table_for<xsimd::avx512f, double>()});
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      t.push_back({Isa::avx2, table_for<xsimd::fma3<xsimd::avx2>, float>(),
                   table_for<xsimd::fma3<xsimd::avx2>, double>()});
    t.push_back({Isa::sse2, table_for<xsimd::sse2, float>(), table_for<xsimd::sse2, double>()});
    return t;
  }();
  return tables;
}

const Tables* find(const std::string& isa) {
  for (const Tables& t : available())
    if (isa == t.f.isa) return &t;
  return nullptr;
}

std::string names() {
  std::string all;
  for (const Tables& t : available()) all += (all.empty() ? "" : ", ") + std::string(t.f.isa);
  return all;
}

const Tables& checked(const std::string& isa, const char* source) {
  const Tables* t = find(isa);
  if (!t) throw ValueError(fmt::format("{}: instruction set '{}' is not one this CPU runs ({})", source, isa, names()));
  return *t;
}

std::atomic<const Tables*>& active() {
  static std::atomic<const Tables*> tables = [] {
    const char* env = std::getenv("TAPEGRAD_ISA");
    return env && *env ? &checked(env, "TAPEGRAD_ISA") : &available().front();
  }();
  return tables;
}

}  // namespace

Isa active_isa() { return active().load(std::memory_order_relaxed)->id; }

template <>
const KernelTable<float>& kernels<float>() {
  return active().load(std::memory_order_relaxed)->f;
}
template <>
const KernelTable<double>& kernels<double>() {
  return active().load(std::memory_order_relaxed)->d;
}

}  // namespace detail::isa

std::string simd_isa() { return detail::isa::active().load()->f.isa; }

std::vector<std::string> available_simd_isas() {
  std::vector<std::string> isas;
  for (const auto& t : detail::isa::available()) isas.emplace_back(t.f.isa);
  return isas;
}

void set_simd_isa(const std::string& isa) { detail::isa::active().store(&detail::isa::checked(isa, "set_simd_isa")); }

}  // namespace tg
