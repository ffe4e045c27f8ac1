#pragma once
// What the C++ benchmark programs share (bench/tapegrad and bench/libtorch): the sizes of W1-W7,
// the deterministic data and parameter values, the command line, the timed loop and its JSON line.
// bench/pytorch/workloads.py mirrors this file; the runner checks that the three implementations
// report the same first-step loss, which they only do if sizes, data, init and loss all agree.
// Header-only and free of tapegrad and LibTorch, so both projects include it as it is.
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// ---- workload sizes (docs: bench/WORKLOADS.md) ------------------------------------

/// W1-W4: Embedding(vocab_in, embed) -> LSTM/GRU(embed, hidden, layers[, bidirectional]) ->
/// Linear(D*hidden, vocab_out), cross-entropy at every position; tokens are (seq, batch).
struct TaggerSpec {
  bool lstm;
  std::int64_t vocab_in, embed, hidden, layers;
  bool bidirectional;
  std::int64_t vocab_out, batch, seq;
};

/// W5: GRU encoder-decoder with additive attention, decoder stepped one token at a time.
struct Seq2SeqSpec {
  std::int64_t vocab_src, vocab_tgt, embed, hidden, layers, batch, src_len, tgt_len, min_valid, max_valid;
  std::int64_t bos;  // first decoder input (teacher forcing shifts the targets right by one)
};

/// W6: a chain of `ops` elementwise ops (alternately + constant, tanh) on a (1, width) tensor.
struct ChainSpec {
  std::int64_t ops, width;
};

/// W7: ELMo's biLM (AllenNLP's 2x1024_128_2048cnn_1xhighway) with a word softmax shared by both
/// directions; character ids (batch, seq, max_chars) in [1, n_characters), all tokens valid.
struct BiLmSpec {
  std::int64_t char_embed;
  std::array<std::array<std::int64_t, 2>, 7> filters;  // (width, count); 2048 in all
  std::int64_t n_highway, projection, cell, layers;
  double cell_clip, proj_clip;
  std::int64_t max_chars, n_characters, vocab, batch, seq;
};

inline TaggerSpec tagger_spec(std::string_view workload) {
  if (workload == "W1") return {true, 65, 64, 256, 2, false, 65, 32, 64};
  if (workload == "W2") return {false, 65, 64, 256, 2, false, 65, 32, 64};
  if (workload == "W3") return {true, 10000, 512, 512, 2, false, 10000, 32, 35};
  if (workload == "W4") return {true, 1000, 128, 256, 2, true, 1000, 32, 64};
  throw std::invalid_argument("not a tagger workload: " + std::string(workload));
}
inline constexpr Seq2SeqSpec kW5{1000, 1000, 256, 256, 2, 64, 10, 10, 5, 10, 1};
inline constexpr ChainSpec kW6{2000, 16};
inline constexpr BiLmSpec kW7{16, {{{1, 32}, {2, 32}, {3, 64}, {4, 128}, {5, 256}, {6, 512}, {7, 1024}}},
                              1, 128, 1024, 2, 3.0, 3.0, 50, 262, 10000, 32, 20};

// ---- deterministic values --------------------------------------------------------------------

/// SplitMix64's output function; value i of stream s is mix(s + (i + 1) * golden), so numpy can
/// compute whole streams at once (bench/pytorch/workloads.py).
inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
inline constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;

/// FNV-1a: the seed of a stream named by a string (a parameter name, "W1.inputs").
inline std::uint64_t seed_of(std::string_view name) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001B3ull;
  return h;
}

/// n integers in [0, bound) from the stream `name`.
inline std::vector<std::int64_t> random_ints(std::string_view name, std::size_t n, std::int64_t bound) {
  const std::uint64_t seed = seed_of(name);
  std::vector<std::int64_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int64_t>(mix(seed + (i + 1) * kGolden) % static_cast<std::uint64_t>(bound));
  return out;
}

/// The initial value of parameter `name` with shape `shape`: uniform(-k, k) with k = 1/sqrt(last
/// dimension), from the stream of its name. Every implementation starts from these exact floats.
inline std::vector<float> init_values(std::string_view name, const std::vector<std::int64_t>& shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  const double k = 1.0 / std::sqrt(static_cast<double>(shape.back()));
  const std::uint64_t seed = seed_of(name);
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(mix(seed + (i + 1) * kGolden) >> 11) * 0x1.0p-53;
    out[i] = static_cast<float>((2 * u - 1) * k);
  }
  return out;
}

/// Valid lengths for W5: `batch` values in [min_valid, max_valid].
inline std::vector<std::int64_t> valid_lengths(std::string_view name, const Seq2SeqSpec& s) {
  auto v = random_ints(name, static_cast<std::size_t>(s.batch), s.max_valid - s.min_valid + 1);
  for (auto& x : v) x += s.min_valid;
  return v;
}

/// W6's input: `width` values evenly spaced over [-1, 1], as numpy.linspace.
inline std::vector<float> chain_input(std::int64_t width) {
  std::vector<float> out(static_cast<std::size_t>(width));
  const double step = 2.0 / static_cast<double>(width - 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(static_cast<double>(i) * step - 1.0);
  out.back() = 1.0f;
  return out;
}
/// W6's constant addend.
inline constexpr float kChainAddend = 0.01f;

// ---- command line, timing, report --------------------------------------------------------------

struct Args {
  std::string workload = "W1";
  int steps = 20;
  int warmup = 5;
  std::string threads = "1T";
};

/// `--workload W1 --steps N --warmup 5 --threads-config CFG`; `configs` lists the accepted CFGs.
inline Args parse_args(int argc, char** argv, const std::vector<std::string>& configs) {
  Args a;
  auto usage = [&](const std::string& why) {
    std::string list;
    for (const auto& c : configs) {
      if (!list.empty()) list += '|';
      list += c;
    }
    std::fprintf(stderr, "%s: %s\nusage: %s --workload W1..W7 --steps N --warmup N --threads-config %s\n",
                 argv[0], why.c_str(), argv[0], list.c_str());
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage("missing value after " + key);
    const std::string value = argv[++i];
    if (key == "--workload") a.workload = value;
    else if (key == "--steps") a.steps = std::atoi(value.c_str());
    else if (key == "--warmup") a.warmup = std::atoi(value.c_str());
    else if (key == "--threads-config") a.threads = value;
    else usage("unknown option " + key);
  }
  if (std::find(configs.begin(), configs.end(), a.threads) == configs.end())
    usage("unknown threads config " + a.threads);
  if (a.steps < 1 || a.warmup < 0) usage("need --steps >= 1 and --warmup >= 0");
  return a;
}

/// One timed step. Not inlined, so that bench/callgrind_w1.sh can count the instructions of the
/// timed steps alone (valgrind --toggle-collect=*bench::timed_step*), without setup and warm-up.
template <class Step>
[[gnu::noinline]] double timed_step(Step& step) {
  return step();
}

/// Runs `warmup + steps` calls of `step` (each returns the step's loss), times the last `steps`,
/// and prints the one JSON line the runner reads. The first loss is that of the very first step.
template <class Step>
void run_and_report(const char* impl, const Args& a, Step&& step) {
  using clock = std::chrono::steady_clock;
  std::vector<double> times;
  double loss_first = 0, loss_last = 0;
  for (int i = 0; i < a.warmup + a.steps; ++i) {
    const auto start = clock::now();
    const double loss = i >= a.warmup ? timed_step(step) : step();
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
    if (i == 0) loss_first = loss;
    loss_last = loss;
    if (i >= a.warmup) times.push_back(ms);
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::string list;
  for (double t : times) {
    if (!list.empty()) list += ',';
    list += std::to_string(t);
  }
  std::printf(
      "{\"impl\": \"%s\", \"workload\": \"%s\", \"threads\": \"%s\", \"steps\": %d, \"warmup\": %d, "
      "\"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, \"loss_first\": %.9g, \"loss_last\": %.9g, "
      "\"peak_rss_mb\": %.1f, \"times_ms\": [%s]}\n",
      impl, a.workload.c_str(), a.threads.c_str(), a.steps, a.warmup, median, sorted.front(), sorted.back(),
      loss_first, loss_last, static_cast<double>(usage.ru_maxrss) / 1024.0, list.c_str());
  std::fflush(stdout);
}

}  // namespace bench
