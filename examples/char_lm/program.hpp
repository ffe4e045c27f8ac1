#pragma once
// The char_lm program as a function, so that tests/examples/char_lm_test.cpp can run it with
// arguments and read what it prints.
#include <ostream>
#include <string>
#include <vector>

namespace tg::examples::char_lm {

/// Runs char_lm with `args` (without the program name), progress and messages to `err`, samples
/// to `out`. Returns the exit code: 0, or non-zero after one line "char_lm: <what was wrong>" on
/// `err`, whatever the exception.
///
///     int code = tg::examples::char_lm::run({"--steps", "100", "--out", "runs/x"}, std::cout, std::cerr);
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tg::examples::char_lm
