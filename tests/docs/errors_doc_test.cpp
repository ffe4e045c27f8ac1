// docs/errors.md cannot drift from the tests: every row of its tables names the test that checks
// it, as `tests/<path>_test.cpp` `Suite.Name`, and that test must exist in that file.
#include "support/support.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

namespace tg {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct TestRef {
  std::size_t line;
  std::string file, suite, name;
};

/// Every table row of docs/errors.md and the tests it names; fails the test on a row without one.
std::vector<TestRef> referenced_tests(const std::string& doc) {
  static const std::regex ref(R"(`(tests/[A-Za-z0-9_/]+_test\.cpp)`\s*`([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)`)");
  std::vector<TestRef> refs;
  std::istringstream lines(doc);
  std::size_t number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (!line.starts_with("|") || line.starts_with("| ---") || line.starts_with("|---")) continue;
    if (line.find("| Test |") != std::string::npos || line.find("| test |") != std::string::npos) continue;  // header
    std::size_t found = 0;
    for (std::sregex_iterator it(line.begin(), line.end(), ref), end; it != end; ++it, ++found)
      refs.push_back({number, (*it)[1], (*it)[2], (*it)[3]});
    EXPECT_GT(found, 0u) << "docs/errors.md line " << number << " names no test: " << line;
  }
  return refs;
}

TEST(ErrorsDoc, EveryRowNamesATestThatExists) {
  const std::filesystem::path root(TAPEGRAD_SOURCE_DIR);
  const std::string doc = read_text(root / "docs/errors.md");
  ASSERT_FALSE(doc.empty()) << "docs/errors.md is missing";
  const std::vector<TestRef> refs = referenced_tests(doc);
  EXPECT_GE(refs.size(), 20u) << "the errors table looks truncated";
  for (const TestRef& r : refs) {
    const std::string source = read_text(root / r.file);
    if (source.empty()) {
      ADD_FAILURE() << "docs/errors.md line " << r.line << ": " << r.file << " does not exist";
      continue;
    }
    const std::regex definition("TEST(_F|_P)?\\(\\s*" + r.suite + "\\s*,\\s*" + r.name + "\\s*\\)");
    EXPECT_TRUE(std::regex_search(source, definition))
        << "docs/errors.md line " << r.line << ": " << r.file << " has no test " << r.suite << "." << r.name;
  }
}

}  // namespace
}  // namespace tg
