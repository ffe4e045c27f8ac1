#pragma once
// What the C++ decoding benchmarks share (bench/decoding/tapegrad_decoding.cpp and
// bench/decoding/libtorch_decoding.cpp; bench/decoding/pytorch_decoding.py mirrors it): the source
// sentences, the decoding settings, the command line, the timed passes and the JSON line.
// Header-only and free of tapegrad and LibTorch, as bench/common/harness.hpp.
#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace bench::decoding {

/// <eos>: the token the untrained W5 model picks most often greedily over the 1,000 sentences (see
/// bench/decoding/README.md), so that some translations end before max_length.
inline constexpr std::int64_t kEos = 759;

struct Args {
  std::size_t sentences = 1000, batch = 64, max_length = 20, beam = 5;
  double alpha = 0.75;
  std::int64_t eos = kEos;
  int passes = 3;          // timed passes over all sentences, per decoder
  std::string threads = "1T";
  std::string dump;        // where to write the tokens of the first timed pass ("": nowhere)
};

inline Args parse_args(int argc, char** argv, const std::vector<std::string>& configs) {
  Args a;
  auto usage = [&](const std::string& why) {
    std::string list;
    for (const auto& c : configs) {
      if (!list.empty()) list += '|';
      list += c;
    }
    std::fprintf(stderr,
                 "%s: %s\nusage: %s [--sentences 1000] [--batch 64] [--max-length 20] [--beam 5] [--alpha 0.75] "
                 "[--eos %lld] [--passes 3] [--dump FILE] --threads-config %s\n",
                 argv[0], why.c_str(), argv[0], static_cast<long long>(kEos), list.c_str());
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage("missing value after " + key);
    const std::string value = argv[++i];
    if (key == "--sentences") a.sentences = std::strtoull(value.c_str(), nullptr, 10);
    else if (key == "--batch") a.batch = std::strtoull(value.c_str(), nullptr, 10);
    else if (key == "--max-length") a.max_length = std::strtoull(value.c_str(), nullptr, 10);
    else if (key == "--beam") a.beam = std::strtoull(value.c_str(), nullptr, 10);
    else if (key == "--alpha") a.alpha = std::atof(value.c_str());
    else if (key == "--eos") a.eos = std::atoll(value.c_str());
    else if (key == "--passes") a.passes = std::atoi(value.c_str());
    else if (key == "--dump") a.dump = value;
    else if (key == "--threads-config") a.threads = value;
    else usage("unknown option " + key);
  }
  if (std::find(configs.begin(), configs.end(), a.threads) == configs.end()) usage("unknown threads config " + a.threads);
  if (!a.sentences || !a.batch || !a.max_length || !a.beam || a.passes < 1) usage("need positive sizes and --passes >= 1");
  return a;
}

// ---- the source sentences --------------------------------------------------------------------------

/// Token t of sentence i is value i * src_len + t of the stream "D.source" (so any number of sentences
/// is a prefix of the 1,000); positions at or beyond a sentence's length are padding that no
/// implementation reads.
inline std::vector<std::int64_t> source_tokens(std::size_t sentences) {
  return bench::random_ints("D.source", sentences * static_cast<std::size_t>(kW5.src_len), kW5.vocab_src);
}
/// Sentence lengths in [kW5.min_valid, kW5.max_valid] = [5, 10] from the stream "D.source_lengths".
inline std::vector<std::int64_t> source_lengths(std::size_t sentences) {
  auto v = bench::random_ints("D.source_lengths", sentences, kW5.max_valid - kW5.min_valid + 1);
  for (auto& x : v) x += kW5.min_valid;
  return v;
}
/// The time-major (src_len, last - first) source of sentences [first, last), row-major.
inline std::vector<std::int64_t> batch_source(const std::vector<std::int64_t>& tokens, std::size_t first,
                                              std::size_t last) {
  const auto steps = static_cast<std::size_t>(kW5.src_len), n = last - first;
  std::vector<std::int64_t> out(steps * n);
  for (std::size_t t = 0; t < steps; ++t)
    for (std::size_t b = 0; b < n; ++b) out[t * n + b] = tokens[(first + b) * steps + t];
  return out;
}

// ---- outputs, timing, report -----------------------------------------------------------------------

/// One decoded sentence: its tokens (ending with <eos> unless max_length cut it) and its score (log P
/// for greedy, log P / length^alpha for beam search).
struct Output {
  std::vector<std::int64_t> tokens;
  double score = 0;
};
/// Decodes the sentences [first, last) and appends them to `out`.
using Decoder = std::function<void(std::size_t first, std::size_t last, std::vector<Output>& out)>;

inline std::string tokens_text(const std::vector<std::int64_t>& tokens) {
  std::string s;
  for (auto t : tokens) {
    if (!s.empty()) s += ' ';
    s += std::to_string(t);
  }
  return s;
}
/// FNV-1a of the lines "tokens\n" of all sentences in order: equal iff every token agrees.
inline std::string tokens_hash(const std::vector<Output>& outputs) {
  std::string text;
  for (const auto& o : outputs) text += tokens_text(o.tokens) + "\n";
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(bench::seed_of(text)));
  return buffer;
}

struct Timed {
  std::vector<double> sentences_per_s;
  std::vector<Output> outputs;  // of the first timed pass
  bool same_every_pass = true;
};

/// One warm-up batch, then `passes` passes over all sentences in batches of `batch`.
inline Timed time_decoder(const Args& a, const Decoder& decode) {
  using clock = std::chrono::steady_clock;
  Timed r;
  std::vector<Output> warm;
  decode(0, std::min(a.batch, a.sentences), warm);
  for (int p = 0; p < a.passes; ++p) {
    std::vector<Output> out;
    out.reserve(a.sentences);
    const auto start = clock::now();
    for (std::size_t first = 0; first < a.sentences; first += a.batch) decode(first, std::min(first + a.batch, a.sentences), out);
    const double s = std::chrono::duration<double>(clock::now() - start).count();
    r.sentences_per_s.push_back(static_cast<double>(a.sentences) / s);
    if (p == 0) r.outputs = std::move(out);
    else if (tokens_hash(out) != tokens_hash(r.outputs)) r.same_every_pass = false;
  }
  return r;
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline std::string summary_json(const char* name, const Timed& t, std::int64_t eos) {
  std::size_t ended = 0, tokens = 0;
  for (const auto& o : t.outputs) {
    ended += !o.tokens.empty() && o.tokens.back() == eos;
    tokens += o.tokens.size();
  }
  std::string list;
  for (double v : t.sentences_per_s) {
    if (!list.empty()) list += ',';
    list += std::to_string(v);
  }
  std::vector<char> buffer(list.size() + 512);
  std::snprintf(buffer.data(), buffer.size(),
                "\"%s_sps\": %.3f, \"%s_sps_all\": [%s], \"%s_hash\": \"%s\", \"%s_eos_ended\": %zu, "
                "\"%s_mean_length\": %.4f, \"%s_deterministic\": %s",
                name, median(t.sentences_per_s), name, list.c_str(), name, tokens_hash(t.outputs).c_str(), name,
                ended, name, static_cast<double>(tokens) / static_cast<double>(std::max<std::size_t>(t.outputs.size(), 1)),
                name, t.same_every_pass ? "true" : "false");
  return buffer.data();
}

/// Times greedy decoding and beam search, writes the dump if asked, prints the one JSON line.
inline void run_and_report(const char* impl, const Args& a, const Decoder& greedy, const Decoder& beam) {
  const Timed g = time_decoder(a, greedy);
  const Timed b = time_decoder(a, beam);
  if (!a.dump.empty()) {
    std::ofstream f(a.dump);
    for (const auto& [name, t] : {std::pair{"greedy", &g}, {"beam", &b}})
      for (std::size_t i = 0; i < t->outputs.size(); ++i) {
        char score[32];
        std::snprintf(score, sizeof score, "%.17g", t->outputs[i].score);
        f << name << '\t' << i << '\t' << score << '\t' << tokens_text(t->outputs[i].tokens) << '\n';
      }
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"impl\": \"%s\", \"threads\": \"%s\", \"sentences\": %zu, \"batch\": %zu, \"max_length\": %zu, \"beam\": %zu, "
      "\"alpha\": %g, \"eos\": %lld, \"passes\": %d, %s, %s, \"peak_rss_mb\": %.1f}\n",
      impl, a.threads.c_str(), a.sentences, a.batch, a.max_length, a.beam, a.alpha, static_cast<long long>(a.eos),
      a.passes, summary_json("greedy", g, a.eos).c_str(), summary_json("beam", b, a.eos).c_str(),
      static_cast<double>(usage.ru_maxrss) / 1024.0);
  std::fflush(stdout);
}

}  // namespace bench::decoding
