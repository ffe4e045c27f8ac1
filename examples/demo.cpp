// The demo: an encoder-decoder with Bahdanau attention learns to translate dates written out in
// words into ISO form, "the twenty-sixth of november, 2026" -> "2026-11-26", from pairs generated
// in code (examples/common/dates.hpp: no download, no data file). The year moves from the end to
// the front, so the attention it learns is visibly not the diagonal: the heatmap it writes shows
// each output character looking at the source characters it comes from.
#include "common/cli.hpp"
#include "common/dates.hpp"
#include "common/progress.hpp"
#include "common/svg_plot.hpp"

#include <tapegrad.hpp>

#include <iostream>
#include <map>

namespace {

using tg::Index;

/// Characters <-> ids, after the three special tokens.
struct CharVocab {
  static constexpr Index kPad = 0, kBos = 1, kEos = 2;
  std::string chars = std::string("\0\x01\x02", 3);
  std::map<char, Index> ids;

  explicit CharVocab(const std::string& alphabet) {
    for (char c : alphabet) ids.emplace(c, static_cast<Index>(chars.size())), chars += c;
  }
  std::size_t size() const { return chars.size(); }
  Index id(char c) const {
    auto it = ids.find(c);
    if (it == ids.end()) tg::fail<tg::ValueError>("demo: character '{}' is not in the vocabulary", c);
    return it->second;
  }
  std::string text(const std::vector<Index>& tokens) const {
    std::string out;
    for (Index t : tokens)
      if (t > kEos) out += chars[static_cast<std::size_t>(t)];
    return out;
  }
};

const CharVocab kSource("abcdefghijklmnopqrstuvwxyz0123456789 ,-");
const CharVocab kTarget("0123456789-");

/// A batch of pairs as time-major ids: source (S, N) with lengths; decoder inputs (<bos> + target)
/// and targets (target + <eos>), (T, N).
struct Batch {
  tg::IndexArray source, inputs, targets;
  std::vector<std::size_t> source_lengths, target_lengths;
};

Batch make_batch(const std::vector<tg::examples::DatePair>& pairs) {
  std::size_t S = 0, T = 0;
  for (const auto& p : pairs) S = std::max(S, p.source.size()), T = std::max(T, p.target.size() + 1);
  Batch b{tg::IndexArray::from_shape({S, pairs.size()}), tg::IndexArray::from_shape({T, pairs.size()}),
          tg::IndexArray::from_shape({T, pairs.size()}), {}, {}};
  b.source.fill(CharVocab::kPad), b.inputs.fill(CharVocab::kPad), b.targets.fill(CharVocab::kPad);
  for (std::size_t n = 0; n < pairs.size(); ++n) {
    const auto& [source, target] = pairs[n];
    for (std::size_t s = 0; s < source.size(); ++s) b.source(s, n) = kSource.id(source[s]);
    b.inputs(0, n) = CharVocab::kBos;
    for (std::size_t t = 0; t < target.size(); ++t) {
      b.targets(t, n) = kTarget.id(target[t]);
      b.inputs(t + 1, n) = b.targets(t, n);
    }
    b.targets(target.size(), n) = CharVocab::kEos;
    b.source_lengths.push_back(source.size());
    b.target_lengths.push_back(target.size() + 1);
  }
  return b;
}

std::vector<tg::examples::DatePair> draw(std::size_t n, tg::Generator& g) {
  std::vector<tg::examples::DatePair> pairs;
  for (std::size_t i = 0; i < n; ++i) pairs.push_back(tg::examples::random_date_pair(g));
  return pairs;
}

std::vector<tg::nn::Translation> translate(tg::nn::EncoderDecoder& model, const std::vector<tg::examples::DatePair>& pairs) {
  const Batch b = make_batch(pairs);
  return tg::nn::greedy_decode(model, b.source, b.source_lengths,
                               tg::nn::DecodeOptions(CharVocab::kBos, CharVocab::kEos).max_length(12));
}

/// The share of `pairs` translated exactly.
double exact_match(tg::nn::EncoderDecoder& model, const std::vector<tg::examples::DatePair>& pairs) {
  const auto out = translate(model, pairs);
  std::size_t right = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) right += kTarget.text(out[i].tokens) == pairs[i].target;
  return static_cast<double>(right) / static_cast<double>(pairs.size());
}

/// The attention of one translation as a labelled heatmap: output characters down, source across.
void write_attention(tg::nn::EncoderDecoder& model, const tg::examples::DatePair& pair, const std::string& path) {
  const tg::nn::Translation t = translate(model, {pair})[0];
  tg::examples::Heatmap map;
  for (char c : pair.source) map.column_labels.push_back(c == ' ' ? "\u2423" : std::string(1, c));
  for (std::size_t i = 0; i < t.tokens.size(); ++i) {
    map.row_labels.push_back(t.tokens[i] == CharVocab::kEos ? "<eos>" : kTarget.text({t.tokens[i]}));
    map.weights.emplace_back(&t.attention(i, 0), &t.attention(i, 0) + pair.source.size());
  }
  tg::examples::write_heatmap_svg(path, map, pair.source + " -> " + kTarget.text(t.tokens));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tapegrad demo: an attention seq2seq model learns to write dates in ISO form"};
  std::size_t steps = 1000, batch_size = 64, threads = 2;
  std::uint64_t seed = 0;
  std::string heatmap = "attention.svg";
  app.add_option("--steps", steps, "training steps")->check(CLI::PositiveNumber);
  app.add_option("--batch", batch_size, "pairs per step")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "threads")->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "seed of the model and the data");
  app.add_option("--heatmap", heatmap, "where to write the attention heatmap (SVG)");
  CLI11_PARSE(app, argc, argv);
  tg::set_num_threads(threads);
  tg::manual_seed(seed);
  tg::Generator train_rng(seed + 1), held_out_rng(seed + 2);
  const std::vector<tg::examples::DatePair> held_out = draw(500, held_out_rng);

  std::cout << "tapegrad demo: translating dates in words into ISO form with Bahdanau attention\n"
            << "e.g. \"" << held_out[0].source << "\" -> \"" << held_out[0].target << "\" (pairs generated in code)\n";
  auto encoder = std::make_shared<tg::nn::Seq2SeqEncoder>(
      tg::nn::Seq2SeqEncoderOptions(kSource.size(), 24, 64).bidirectional(true));
  auto decoder = std::make_shared<tg::nn::Seq2SeqAttentionDecoder>(
      tg::nn::Seq2SeqDecoderOptions(kTarget.size(), 16, 64, encoder->output_size()).bahdanau_init(64));
  auto model = std::make_shared<tg::nn::EncoderDecoder>(encoder, decoder);
  tg::optim::Adam optimizer(model->named_parameters(), tg::optim::AdamOptions(5e-3));
  std::cout << *model << "\n";

  const double before = exact_match(*model, held_out);
  tg::examples::ProgressBar progress(steps, std::cout, tg::examples::is_terminal(stdout), 3.0);
  for (std::size_t step = 1; step <= steps; ++step) {
    const Batch b = make_batch(draw(batch_size, train_rng));  // fresh pairs every step
    const tg::nn::DecoderOutput out = model->forward(b.source, b.source_lengths, b.inputs);
    tg::Tensor loss = tg::nn::masked_cross_entropy(out.logits, b.targets, b.target_lengths);
    optimizer.zero_grad();
    loss.backward();
    tg::optim::clip_grad_norm(model->named_parameters(), 1.0);
    optimizer.step();
    progress.update(step, loss.item(), b.target_lengths.size() * b.targets.shape(0));
  }
  progress.finish();

  model->eval();
  std::cout << "\nHeld-out translations (greedy):\n";
  const std::vector<tg::examples::DatePair> shown(held_out.begin(), held_out.begin() + 6);
  const auto outputs = translate(*model, shown);
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const std::string got = kTarget.text(outputs[i].tokens);
    std::cout << fmt::format("  {:<38} -> {} {}\n", shown[i].source, got, got == shown[i].target ? "ok" : "(" + shown[i].target + ")");
  }
  std::cout << fmt::format("held-out exact match: {:.1f}% of {} dates (before training: {:.1f}%)\n",
                           100 * exact_match(*model, held_out), held_out.size(), 100 * before);
  write_attention(*model, {"the twenty-sixth of november, 2026", "2026-11-26"}, heatmap);
  std::cout << "attention heatmap: " << heatmap << " (each output character's weights over the source)\n";
  return 0;
}
