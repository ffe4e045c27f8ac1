// The demo: a character-level LSTM learns sequences from text generated here (no download, no
// data file), then shows what it learned by continuing prompts it has to complete from memory.
//
// The text is lines of consecutive items of three cycles (number words, weekdays, months), each
// line starting at a random item: "thursday friday saturday sunday monday.". To continue
// "march " correctly the model must have learned the months' order, spelling included.
#include "common/progress.hpp"

#include <tapegrad.hpp>

#include <iostream>
#include <map>

namespace {

const std::vector<std::vector<std::string>> kCycles = {
    {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"},
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
    {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"}};

std::string generate_text(std::size_t lines, tg::Generator& g) {
  std::string text;
  for (std::size_t l = 0; l < lines; ++l) {
    const auto& cycle = kCycles[g.below(kCycles.size())];
    std::size_t item = g.below(cycle.size());
    const std::size_t count = 4 + g.below(4);
    for (std::size_t k = 0; k < count; ++k, item = (item + 1) % cycle.size())
      text += cycle[item] + (k + 1 < count ? " " : ".\n");
  }
  return text;
}

/// Characters <-> ids.
struct Alphabet {
  std::string chars;
  std::map<char, tg::Index> ids;
  explicit Alphabet(const std::string& text) {
    for (char c : text)
      if (!ids.count(c)) ids[c] = 0;
    for (auto& [c, id] : ids) {
      id = static_cast<tg::Index>(chars.size());
      chars += c;
    }
  }
  tg::Index id(char c) const { return ids.at(c); }
};

/// Embedding -> LSTM -> Linear over characters.
struct CharLSTM : tg::nn::Module {
  CharLSTM(std::size_t vocab, std::size_t hidden) : Module("CharLSTM") {
    embed = register_module("embed", std::make_shared<tg::nn::Embedding>(vocab, 32));
    lstm = register_module("lstm", std::make_shared<tg::nn::LSTM>(tg::nn::LSTMOptions(32, hidden)));
    head = register_module("head", std::make_shared<tg::nn::Linear>(hidden, vocab));
  }
  /// ids (L, N) -> logits (L, N, vocab), and the LSTM's final state.
  std::pair<tg::Tensor, tg::nn::RecurrentState> forward(const tg::IndexArray& ids,
                                                        const tg::nn::RecurrentState& state = {}) {
    auto out = lstm->forward(embed->forward(ids), state);
    return {head->forward(out.output), {out.h_n, out.c_n}};
  }
  std::shared_ptr<tg::nn::Embedding> embed;
  std::shared_ptr<tg::nn::LSTM> lstm;
  std::shared_ptr<tg::nn::Linear> head;
};

/// Greedy continuation of `prompt` until a period or `max_chars`.
std::string complete(CharLSTM& model, const Alphabet& alphabet, const std::string& prompt, std::size_t max_chars) {
  tg::NoGradGuard no_grad;
  tg::IndexArray ids = tg::IndexArray::from_shape({prompt.size(), 1});
  for (std::size_t i = 0; i < prompt.size(); ++i) ids(i, 0) = alphabet.id(prompt[i]);
  auto [logits, state] = model.forward(ids);
  std::string out;
  for (std::size_t step = 0; step < max_chars; ++step) {
    const tg::Tensor last = tg::select(logits, 0, logits.size(0) - 1);  // (1, vocab)
    const auto next = static_cast<tg::Index>(xt::argmax(last.data<float>())());
    const char c = alphabet.chars[static_cast<std::size_t>(next)];
    out += c;
    if (c == '.' || c == '\n') break;
    tg::IndexArray next_id = tg::IndexArray::from_shape({1, 1});
    next_id(0, 0) = next;
    std::tie(logits, state) = model.forward(next_id, state);
  }
  return out;
}

/// How many items the model continues with their true successor, over every item of every cycle.
std::pair<int, int> quiz(CharLSTM& model, const Alphabet& alphabet) {
  int right = 0, total = 0;
  for (const auto& cycle : kCycles)
    for (std::size_t i = 0; i < cycle.size(); ++i, ++total) {
      const std::string answer = complete(model, alphabet, "\n" + cycle[i] + " ", 12);
      const std::string& expected = cycle[(i + 1) % cycle.size()];
      right += answer.compare(0, expected.size() + 1, expected + " ") == 0 ||
               answer.compare(0, expected.size() + 1, expected + ".") == 0;
    }
  return {right, total};
}

}  // namespace

int main() {
  tg::manual_seed(0);
  tg::Generator data_rng(1);
  const std::string text = generate_text(6000, data_rng);
  const Alphabet alphabet(text);
  std::cout << "tapegrad demo: a character LSTM learns to count in words, weekdays and months\n"
            << "generated " << text.size() << " characters, e.g. \"" << text.substr(0, text.find('\n')) << "\"\n";

  constexpr std::size_t kSteps = 400, kBatch = 32, kLength = 48, kHidden = 128;
  auto model = std::make_shared<CharLSTM>(alphabet.chars.size(), kHidden);
  tg::optim::Adam optimizer(model->named_parameters(), tg::optim::AdamOptions(1e-2));
  std::cout << *model << "\n";

  auto [before_right, quiz_total] = quiz(*model, alphabet);
  tg::examples::ProgressBar progress(kSteps, std::cout, tg::examples::is_terminal(stdout), 3.0);
  for (std::size_t step = 1; step <= kSteps; ++step) {
    // A batch of random windows; the target is the next character.
    tg::IndexArray x = tg::IndexArray::from_shape({kLength, kBatch}), y = x;
    for (std::size_t b = 0; b < kBatch; ++b) {
      const std::size_t offset = data_rng.below(text.size() - kLength - 1);
      for (std::size_t t = 0; t < kLength; ++t) {
        x(t, b) = alphabet.id(text[offset + t]);
        y(t, b) = alphabet.id(text[offset + t + 1]);
      }
    }
    tg::Tensor loss = tg::cross_entropy(model->forward(x).first, y);
    optimizer.zero_grad();
    loss.backward();
    tg::optim::clip_grad_norm(model->named_parameters(), 1.0);
    optimizer.step();
    progress.update(step, loss.item(), kBatch * kLength);
  }
  progress.finish();

  std::cout << "\nWhat it learned (greedy continuations):\n";
  for (const std::string prompt : {"thursday ", "seven ", "october ", "eleven ", "sunday "})
    std::cout << "  " << prompt << "-> " << complete(*model, alphabet, "\n" + prompt, 60) << "\n";
  auto [right, total] = quiz(*model, alphabet);
  std::cout << fmt::format("successor quiz: {}/{} items continued correctly (before training: {}/{})\n", right,
                           total, before_right, quiz_total);
  return 0;
}
