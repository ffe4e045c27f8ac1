// Every op declared in the public op headers (autograd/ops.hpp, autograd/ops/rnn/recurrent.hpp) has
// at least one float64 gradcheck case in tests/autograd/, found by the `gradcheck_op("<name>", ...)`
// calls (see tests/support/support.hpp).
#include "support/support.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace tg {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Names of the functions declared as returning tensors: `Tensor NAME(`, `std::vector<Tensor> NAME(`,
/// or the recurrent ops' SequenceOutput, its pair, and RecurrentState (operators and scalar_like,
/// which has nothing to differentiate, are left out).
std::set<std::string> declared_ops(const std::string& header) {
  static const std::regex declaration(
      R"(^\s*(?:Tensor|std::vector<Tensor>|SequenceOutput|std::array<SequenceOutput, 2>|RecurrentState)\s+([A-Za-z_]\w*)\s*\()");
  std::set<std::string> names;
  std::istringstream lines(header);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, declaration) && m[1] != "scalar_like") names.insert(m[1]);
  }
  return names;
}

std::set<std::string> gradchecked_ops(const std::filesystem::path& test_dir) {
  static const std::regex call(R"re(gradcheck_op\(\s*"(\w+)")re");
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(test_dir)) {
    const std::string file = entry.path().filename().string();
    if (file.size() < 9 || file.substr(file.size() - 9) != "_test.cpp") continue;
    const std::string text = read_file(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it) names.insert((*it)[1]);
  }
  return names;
}

TEST(OpCoverage, EveryDeclaredOpHasAGradcheckCase) {
  const std::filesystem::path root(TAPEGRAD_SOURCE_DIR);
  std::set<std::string> declared = declared_ops(read_file(root / "autograd" / "ops.hpp"));
  ASSERT_GT(declared.size(), 30u) << "the parser found too few ops in autograd/ops.hpp";
  ASSERT_TRUE(declared.count("add") && declared.count("split") && declared.count("cross_entropy") &&
              declared.count("conv1d"));
  const std::set<std::string> recurrent = declared_ops(read_file(root / "autograd" / "ops" / "rnn" / "recurrent.hpp"));
  ASSERT_EQ(recurrent, (std::set<std::string>{"rnn_cell", "lstm_cell", "gru_cell", "recurrent_step",
                                              "recurrent_sequence"}))
      << "the parser no longer finds the recurrent ops";
  declared.insert(recurrent.begin(), recurrent.end());
  const std::set<std::string> checked = gradchecked_ops(root / "tests" / "autograd");
  std::vector<std::string> missing;
  for (const std::string& op : declared)
    if (!checked.count(op)) missing.push_back(op);
  EXPECT_TRUE(missing.empty()) << "ops without a gradcheck_op(\"<name>\", ...) case in tests/autograd/: "
                               << fmt::format("{}", fmt::join(missing, ", "));
}

}  // namespace
}  // namespace tg
