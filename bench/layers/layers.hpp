#pragma once
// What the layer-level benchmark programs share (bench/layers/onednn/onednn_layers.cpp and
// bench/tapegrad/layers.cpp): the layer shapes, the deterministic input and output gradient, the
// PyTorch parameter names, the command line, the dump of one step's results and the timed loop.
// bench/layers/layers.py mirrors this file for PyTorch. Free of tapegrad and oneDNN.
//
// One step = forward of the recurrent stack from the input (T, N, I) with a zero initial state,
// then backward of sum(output * dY): the gradients of every weight and bias and of the input.
#include "harness.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bench::layers {

/// A recurrent stack as PyTorch's nn.LSTM / nn.GRU(I, H, layers, bidirectional) over (T, N, I).
struct LayerSpec {
  std::string name;
  bool lstm;
  std::int64_t T, N, I, H, layers;
  bool bidirectional;
  std::int64_t directions() const { return bidirectional ? 2 : 1; }
  std::int64_t gates() const { return lstm ? 4 : 3; }
  std::int64_t input_size(std::int64_t layer) const { return layer == 0 ? I : H * directions(); }
};

/// The recurrent stacks of W1 (char-LSTM), W3 (word-LSTM) and W4 (BiLSTM tagger), and the GRU of
/// the same shapes (bench/layers/layers.py holds the same table).
inline LayerSpec layer_spec(const std::string& name) {
  const std::vector<LayerSpec> all{
      {"W1-LSTM", true, 64, 32, 64, 256, 2, false},   {"W3-LSTM", true, 35, 32, 512, 512, 2, false},
      {"W4-BiLSTM", true, 64, 32, 128, 256, 2, true}, {"W1-GRU", false, 64, 32, 64, 256, 2, false},
      {"W3-GRU", false, 35, 32, 512, 512, 2, false},  {"W4-BiGRU", false, 64, 32, 128, 256, 2, true},
  };
  for (const auto& s : all)
    if (s.name == name) return s;
  throw std::invalid_argument("not a layer: " + name + " (W1-LSTM, W3-LSTM, W4-BiLSTM, W1-GRU, W3-GRU, W4-BiGRU)");
}

/// n values uniform in [-1, 1) from the stream `name` (the input "<layer>.input" and the output
/// gradient "<layer>.dy"); the same SplitMix64 streams as bench::init_values.
inline std::vector<float> uniform_values(const std::string& name, std::size_t n) {
  const std::uint64_t seed = bench::seed_of(name);
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(bench::mix(seed + (i + 1) * bench::kGolden) >> 11) * 0x1.0p-53;
    out[i] = static_cast<float>(2 * u - 1);
  }
  return out;
}
inline std::vector<float> input_values(const LayerSpec& s) {
  return uniform_values(s.name + ".input", static_cast<std::size_t>(s.T * s.N * s.I));
}
inline std::vector<float> output_grad_values(const LayerSpec& s) {
  return uniform_values(s.name + ".dy", static_cast<std::size_t>(s.T * s.N * s.directions() * s.H));
}

/// PyTorch's name of a parameter: "weight_ih_l1_reverse" = param_name("weight_ih", 1, 1).
inline std::string param_name(const char* kind, std::int64_t layer, std::int64_t direction) {
  return std::string(kind) + "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
}

struct Args {
  std::string layer = "W1-LSTM";
  std::string threads = "1T";
  int steps = 10, warmup = 3;
  std::string dump;            // a directory: run two steps, write the second's results there, exit
  bool no_initial_state = false;  // oneDNN only: pass no src_iter (shows the 2.6.3 bug)
};

/// `--layer NAME --threads-config CFG --steps N --warmup N [--dump DIR] [--no-initial-state]`.
inline Args parse_args(int argc, char** argv, const std::vector<std::string>& configs) {
  Args a;
  auto usage = [&](const std::string& why) {
    std::fprintf(stderr,
                 "%s: %s\nusage: %s --layer NAME --threads-config CFG --steps N --warmup N [--dump DIR]"
                 " [--no-initial-state]\n",
                 argv[0], why.c_str(), argv[0]);
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (key == "--no-initial-state") {
      a.no_initial_state = true;
      continue;
    }
    if (i + 1 >= argc) usage("missing value after " + key);
    const std::string value = argv[++i];
    if (key == "--layer") a.layer = value;
    else if (key == "--threads-config") a.threads = value;
    else if (key == "--steps") a.steps = std::atoi(value.c_str());
    else if (key == "--warmup") a.warmup = std::atoi(value.c_str());
    else if (key == "--dump") a.dump = value;
    else usage("unknown option " + key);
  }
  if (std::find(configs.begin(), configs.end(), a.threads) == configs.end())
    usage("unknown threads config " + a.threads);
  if (a.steps < 1 || a.warmup < 0) usage("need --steps >= 1 and --warmup >= 0");
  layer_spec(a.layer);  // throws on an unknown name
  return a;
}

/// Writes `n` floats to DIR/NAME.f32 (raw little-endian float32, row-major in PyTorch's shape).
inline void write_f32(const std::string& dir, const std::string& name, const float* data, std::size_t n) {
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name + ".f32";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, sizeof(float), n, f) != n) throw std::runtime_error("cannot write " + path);
  std::fclose(f);
}

/// Times `step` as bench::run_and_report does and prints its JSON line (workload = the layer).
template <class Step>
void report(const char* impl, const Args& a, Step&& step) {
  bench::Args b;
  b.workload = a.layer;
  b.steps = a.steps;
  b.warmup = a.warmup;
  b.threads = a.threads;
  bench::run_and_report(impl, b, std::forward<Step>(step));
}

}  // namespace bench::layers
