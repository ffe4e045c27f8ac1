#include "translate/translate.hpp"

#include <tapegrad.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace tg::examples::translate {
namespace {

nn::RnnType rnn_type(const std::string& cell) {
  if (cell == "gru") return nn::RnnType::Gru;
  if (cell == "lstm") return nn::RnnType::Lstm;
  if (cell == "rnn") return nn::RnnType::Rnn;
  fail<ValueError>("translate: unknown cell '{}' (expected gru, lstm or rnn)", cell);
}

// A padded batch: sources with <eos>, decoder inputs <bos> y_1 .. y_{T-1} and targets y_1 .. <eos>,
// each cut to num_steps (d2l's truncate_pad) and padded to the batch's longest.
struct Batch {
  data::SequenceBatch source, inputs, targets;
};

Batch make_batch(const Corpus& corpus, const std::vector<std::size_t>& rows, std::size_t num_steps) {
  const Index pad = corpus.target_vocab[data::kPad], bos = corpus.target_vocab[data::kBos];
  const Index source_eos = corpus.source_vocab[data::kEos], eos = corpus.target_vocab[data::kEos];
  std::vector<std::vector<Index>> source, inputs, targets;
  const auto cut = [num_steps](std::vector<Index> v) {
    if (v.size() > num_steps) v.resize(num_steps);
    return v;
  };
  for (std::size_t r : rows) {
    std::vector<Index> s = corpus.source[r], y = corpus.target[r];
    s.push_back(source_eos);
    y.push_back(eos);
    std::vector<Index> x{bos};
    x.insert(x.end(), y.begin(), y.end() - 1);
    source.push_back(cut(s));
    inputs.push_back(cut(x));
    targets.push_back(cut(y));
  }
  return {data::pad_sequences(source, 0, corpus.source_vocab[data::kPad]), data::pad_sequences(inputs, 0, pad),
          data::pad_sequences(targets, 0, pad)};
}

Tensor batch_loss(nn::EncoderDecoder& model, const Batch& b) {
  auto out = model.forward(b.source.tokens, b.source.valid_lens, b.inputs.tokens);
  return nn::masked_cross_entropy(out.logits, b.targets.tokens, b.targets.valid_lens);
}

std::vector<std::size_t> source_lengths(const Corpus& corpus) {
  std::vector<std::size_t> lengths;
  for (const auto& s : corpus.source) lengths.push_back(s.size());
  return lengths;
}

}  // namespace

std::shared_ptr<nn::EncoderDecoder> make_model(std::size_t source_vocab, std::size_t target_vocab,
                                               const ModelOptions& o) {
  const nn::RnnType kind = rnn_type(o.cell);
  auto encoder = std::make_shared<nn::Seq2SeqEncoder>(nn::Seq2SeqEncoderOptions(source_vocab, o.embed, o.hidden)
                                                          .num_layers(o.layers).dropout(o.dropout)
                                                          .bidirectional(o.bidirectional).rnn_type(kind));
  const auto decoder_options =
      nn::Seq2SeqDecoderOptions(target_vocab, o.embed, encoder->output_size(), encoder->output_size())
          .num_layers(o.layers).dropout(o.dropout).rnn_type(kind);
  std::shared_ptr<nn::RecurrentDecoder> decoder;
  if (o.model == "attention") decoder = std::make_shared<nn::Seq2SeqAttentionDecoder>(decoder_options);
  else if (o.model == "seq2seq") decoder = std::make_shared<nn::Seq2SeqDecoder>(decoder_options);
  else fail<ValueError>("translate: unknown model '{}' (expected seq2seq or attention)", o.model);
  return std::make_shared<nn::EncoderDecoder>(encoder, decoder);
}

std::vector<std::string> words(const std::string& sentence) {
  static const data::Tokenizer tokenizer(data::TokenLevel::Word, data::Normalizer::Translation);
  return tokenizer.tokenize(sentence);
}

std::pair<data::Vocab, data::Vocab> build_vocabs(const data::ParallelCorpus& pairs, std::size_t min_freq) {
  std::vector<std::string> source, target;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    for (auto& w : words(pairs.source[i])) source.push_back(std::move(w));
    for (auto& w : words(pairs.target[i])) target.push_back(std::move(w));
  }
  const auto options = data::VocabOptions().reserved({data::kPad, data::kBos, data::kEos}).min_freq(min_freq);
  return {data::Vocab(source, options), data::Vocab(target, options)};
}

Corpus encode(const data::ParallelCorpus& pairs, const data::Vocab& source_vocab, const data::Vocab& target_vocab) {
  Corpus c{source_vocab, target_vocab, {}, {}, {}};
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    c.source.push_back(source_vocab.encode(words(pairs.source[i])));
    c.target_words.push_back(words(pairs.target[i]));
    c.target.push_back(target_vocab.encode(c.target_words.back()));
  }
  return c;
}

Trainer::Trainer(std::shared_ptr<nn::EncoderDecoder> model, const Corpus& corpus, const TrainerOptions& options,
                 std::shared_ptr<Replicas> replicas)
    : model_(std::move(model)),
      replicas_(std::move(replicas)),
      optimizer_(std::make_unique<optim::Adam>(model_->named_parameters(), optim::AdamOptions(options.lr))),
      corpus_(corpus),
      options_(options),
      // Buckets of equal source length: little padding, and the encoder's work is not wasted.
      batches_(source_lengths(corpus), data::BatchSamplerOptions().batch_size(options.batch_size).bucket_width(1)
                                           .seed(options.seed)) {
  if (corpus.size() == 0) fail<ValueError>("translate: no training pairs");
  const int rank = replicas_->rank(), size = replicas_->size();
  if (options.batch_size < static_cast<std::size_t>(size))
    fail<ValueError>("translate: a batch of {} pairs cannot be shared by {} processes; give --batch-size at least {}",
                     options.batch_size, size, size);
  replicas_->attach(model_->named_parameters());
  // Dropout masks differ between replicas (they draw for other rows); rank 0 keeps the stream of a
  // single-process run.
  if (rank > 0) manual_seed(options.seed * 1000003 + static_cast<std::uint64_t>(rank));
}

std::optional<StepResult> Trainer::step() {
  std::vector<std::size_t> rows;  // the whole batch: every replica draws the same
  if (!batches_.next(rows)) return std::nullopt;
  const data::Shard mine = data::shard(rows.size(), replicas_->rank(), replicas_->size());
  rows = std::vector<std::size_t>(rows.begin() + static_cast<std::ptrdiff_t>(mine.begin),
                                  rows.begin() + static_cast<std::ptrdiff_t>(mine.end));
  // An epoch's last batch may have fewer pairs than replicas: those without one still join the sums.
  Tensor loss;
  double my_tokens = 0;
  if (!rows.empty()) {
    const Batch b = make_batch(corpus_, rows, options_.num_steps);
    loss = batch_loss(*model_, b);
    for (Index n : b.targets.valid_lens) my_tokens += static_cast<double>(n);
  }
  // The whole batch's mean loss, the same on every replica, so that all of them stop together.
  double sums[2] = {loss.defined() ? loss.item() * my_tokens : 0.0, my_tokens};
  replicas_->sum(sums);
  const double value = sums[0] / sums[1];
  optimizer_->zero_grad();
  replicas_->backward(loss, my_tokens);
  const double norm = optim::clip_grad_norm(model_->named_parameters(), options_.clip > 0 ? options_.clip : INFINITY);
  if (!std::isfinite(value) || !std::isfinite(norm))
    fail<ValueError>("translate: training diverged at step {}: loss {}, gradient norm {}; lower --lr (now {})",
                     steps_ + 1, value, norm, options_.lr);
  optimizer_->step();
  ++steps_;
  return StepResult{value, norm, static_cast<std::size_t>(sums[1])};  // the whole batch's target tokens
}

void Trainer::save(const std::string& dir) const {
  const std::vector<std::string> streams = replicas_->gather(default_generator().state());
  if (replicas_->rank() != 0) return;  // rank 0 writes for all
  save_npz(dir + "/model.npz", model_->state_dict());
  save_npz(dir + "/optimizer.npz", optimizer_->state_dict());
  const std::string tmp = dir + "/checkpoint.tmp";
  std::ofstream file(tmp);
  file << steps_ << '\n' << batches_.state().str() << '\n' << streams[0] << '\n';
  write_replica_streams(file, streams);
  file.close();
  if (!file) fail<IoError>("translate: cannot write {}", tmp);
  std::filesystem::rename(tmp, dir + "/checkpoint.txt");  // last and atomic: a checkpoint is whole or absent
}

void Trainer::require_checkpoint(const std::string& dir) {
  if (!std::filesystem::is_regular_file(dir + "/checkpoint.txt"))
    fail<IoError>("no checkpoint in {} (no {}/checkpoint.txt)", dir, dir);
}

void Trainer::resume(const std::string& dir) {
  if (replicas_->rank() == 0) require_checkpoint(dir);
  std::istringstream lines(read_on_rank0(*replicas_, dir + "/checkpoint.txt"));
  std::string steps, data_state, global_state;
  if (!std::getline(lines, steps) || !std::getline(lines, data_state) || !std::getline(lines, global_state) ||
      steps.empty() || steps.find_first_not_of("0123456789") != std::string::npos)
    fail<IoError>("translate: {}/checkpoint.txt is malformed", dir);
  global_state = read_replica_stream(lines, global_state, *replicas_, dir);
  model_->load_state_dict(load_npz_on_rank0(*replicas_, dir + "/model.npz"));
  optimizer_->load_state_dict(load_npz_on_rank0(*replicas_, dir + "/optimizer.npz"));
  batches_.restore(data::IteratorState::parse(data_state));
  default_generator().set_state(global_state);
  steps_ = std::stoul(steps);
}

double evaluate_loss(nn::EncoderDecoder& model, const Corpus& corpus, std::size_t num_steps, std::size_t batch_size) {
  if (corpus.size() == 0) return NAN;
  NoGradGuard no_grad;
  model.eval();
  double total = 0, tokens = 0;
  for (std::size_t begin = 0; begin < corpus.size(); begin += batch_size) {
    std::vector<std::size_t> rows;
    for (std::size_t r = begin; r < std::min(begin + batch_size, corpus.size()); ++r) rows.push_back(r);
    const Batch b = make_batch(corpus, rows, num_steps);
    double n = 0;
    for (Index len : b.targets.valid_lens) n += static_cast<double>(len);
    total += batch_loss(model, b).item() * n;
    tokens += n;
  }
  model.train();
  return total / tokens;
}

std::vector<Translated> translate(nn::EncoderDecoder& model, const data::Vocab& target_vocab,
                                  const std::vector<std::vector<Index>>& sources, std::size_t beam_size,
                                  std::size_t max_length, std::size_t batch_size) {
  NoGradGuard no_grad;
  model.eval();
  const Index eos = target_vocab[data::kEos];
  const auto options = nn::DecodeOptions(target_vocab[data::kBos], eos).max_length(max_length).beam_size(beam_size);
  // Source ids come from the source vocabulary, which reserves the same ids as the target's.
  const Index source_eos = eos, pad = target_vocab[data::kPad];
  std::vector<Translated> out;
  for (std::size_t begin = 0; begin < sources.size(); begin += batch_size) {
    std::vector<std::vector<Index>> chunk;
    for (std::size_t i = begin; i < std::min(begin + batch_size, sources.size()); ++i) {
      chunk.push_back(sources[i]);
      chunk.back().push_back(source_eos);
    }
    const auto b = data::pad_sequences(chunk, 0, pad);
    auto decoded = beam_size > 1 ? nn::beam_search(model, b.tokens, b.valid_lens, options)
                                 : nn::greedy_decode(model, b.tokens, b.valid_lens, options);
    for (auto& t : decoded) {
      std::vector<Index> ids = t.tokens;
      if (!ids.empty() && ids.back() == eos) ids.pop_back();
      out.push_back({target_vocab.decode(ids), std::move(t)});
    }
  }
  model.train();
  return out;
}

BleuReport evaluate_bleu(nn::EncoderDecoder& model, const Corpus& corpus, std::size_t beam_size,
                         std::size_t max_length, std::size_t max_sentences) {
  const std::size_t n = max_sentences ? std::min(max_sentences, corpus.size()) : corpus.size();
  const std::vector<std::vector<Index>> sources(corpus.source.begin(), corpus.source.begin() + static_cast<std::ptrdiff_t>(n));
  const auto translated = translate(model, corpus.target_vocab, sources, beam_size, max_length);
  std::vector<data::Tokens> hypotheses;
  std::vector<std::vector<data::Tokens>> references;
  std::map<std::size_t, std::pair<std::vector<data::Tokens>, std::vector<std::vector<data::Tokens>>>> by_length;
  for (std::size_t i = 0; i < n; ++i) {
    hypotheses.push_back(translated[i].words);
    references.push_back({corpus.target_words[i]});
    auto& [h, r] = by_length[sources[i].size()];
    h.push_back(hypotheses.back());
    r.push_back(references.back());
  }
  BleuReport report{data::corpus_bleu(hypotheses, references), n, {}};
  for (const auto& [length, hr] : by_length)
    report.by_length.push_back({length, hr.first.size(), data::corpus_bleu(hr.first, hr.second)});
  return report;
}

}  // namespace tg::examples::translate
