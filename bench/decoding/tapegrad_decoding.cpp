// The decoding benchmark (bench/decoding/README.md) in tapegrad: greedy decoding and beam search of
// the W5 model (bench/WORKLOADS.md, its initial parameters) with the library's nn::greedy_decode and
// nn::beam_search, sentences per second, one JSON line.
//
//     tapegrad_decoding --threads-config 1T [--sentences 1000 --batch 64 --max-length 20 --beam 5 --passes 3 --dump FILE]
//
// "1T" = tg::set_num_threads(1), "2T" = tg::set_num_threads(2), as tapegrad_workloads.
#include "decoding_harness.hpp"
#include "seq2seq_w5.hpp"

#include "autograd/threads.hpp"
#include "nn/decoding.hpp"

namespace {

namespace nn = tg::nn;
using bench::decoding::Output;

/// A Decoder that runs `decode` (nn::greedy_decode or nn::beam_search) on batches of the sentences.
template <class Decode>
bench::decoding::Decoder decoder(std::shared_ptr<nn::EncoderDecoder> model, const bench::decoding::Args& a,
                                 Decode decode) {
  const auto tokens = bench::decoding::source_tokens(a.sentences);
  const auto lengths = bench::decoding::source_lengths(a.sentences);
  const auto options = nn::DecodeOptions(bench::kW5.bos, a.eos).max_length(a.max_length).beam_size(a.beam).alpha(a.alpha);
  // The batches' sources and lengths, made before timing.
  std::vector<std::pair<tg::IndexArray, nn::Lengths>> batches;
  for (std::size_t first = 0; first < a.sentences; first += a.batch) {
    const std::size_t last = std::min(first + a.batch, a.sentences);
    const std::vector<std::size_t> shape{static_cast<std::size_t>(bench::kW5.src_len), last - first};
    batches.emplace_back(xt::adapt(bench::decoding::batch_source(tokens, first, last), shape),
                         std::vector<std::size_t>(lengths.begin() + static_cast<long>(first),
                                                  lengths.begin() + static_cast<long>(last)));
  }
  return [model, options, batches, batch = a.batch, decode](std::size_t first, std::size_t last, std::vector<Output>& out) {
    const auto& [source, source_lengths] = batches.at(first / batch);
    if (source.shape(1) != last - first) throw std::logic_error("decoding: batches are [k batch, (k + 1) batch)");
    for (nn::Translation& t : decode(*model, source, source_lengths, options))
      out.push_back({std::vector<std::int64_t>(t.tokens.begin(), t.tokens.end()), t.score});
  };
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = bench::decoding::parse_args(argc, argv, {"1T", "2T"});
  tg::set_num_threads(args.threads == "1T" ? 1 : 2);
  auto model = bench::tapegrad::make_w5_model(bench::kW5);
  model->eval();
  bench::decoding::run_and_report("tapegrad", args, decoder(model, args, nn::greedy_decode),
                                  decoder(model, args, nn::beam_search));
}
