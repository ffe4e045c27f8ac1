// Rows of docs/errors.md that no unit test of the code in question checks yet: the error type
// and that the message names the function or module and the offending values.
#include "support/support.hpp"

#include <datasets/datasets.hpp>
#include <nn/nn.hpp>

namespace tg {
namespace {

using test::throws;

TEST(Errors, TokenIdOutsideTheVocabularyNamesIdAndSize) {
  const data::Vocab vocab(std::vector<std::string>{"a", "b", "a"});  // <unk>, a, b
  EXPECT_TRUE(throws<ValueError>([&] { vocab.token(7); }, {"Vocab::token", "id 7", "3 tokens"}));
  EXPECT_TRUE(throws<ValueError>([&] { vocab.decode({1, -1}); }, {"Vocab::token", "id -1", "3 tokens"}));
  EXPECT_EQ(vocab.decode({1, 2}), (std::vector<std::string>{"a", "b"}));
}

TEST(Errors, EmptyBatchesAreRefusedByName) {
  // As torch.nn.utils.rnn.pad_sequence([]) and an RNN given a zero-length sequence.
  EXPECT_TRUE(throws<ValueError>([] { data::pad_sequences({}, 4, 0); }, {"pad_sequences", "empty batch"}));
  EXPECT_TRUE(throws<ValueError>([] { data::pad_sequences({{1, 2}}, std::vector<std::size_t>{}, 4, 0); },
                                 {"pad_sequences", "empty batch"}));
  nn::LSTM lstm(nn::LSTMOptions(4, 8));
  EXPECT_TRUE(throws<ValueError>([&] { lstm.forward(zeros({0, 2, 4})); }, {"LSTM(input_size=4, hidden_size=8)", "0 time steps"}));
  // A batch of zero sequences is valid for the layer itself, as in PyTorch: empty outputs.
  EXPECT_EQ(lstm.forward(zeros({3, 0, 4})).output.shape(), (Shape{3, 0, 8}));
}

TEST(Errors, NegativeThreadCount) {
  EXPECT_TRUE(throws<ValueError>([] { set_num_threads(-1); }, {"set_num_threads", "-1 threads"}));
}

}  // namespace
}  // namespace tg
