#pragma once
// The elmo program as a function, so that tests/examples/elmo_test.cpp can run it with arguments
// and read what it prints.
#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace tg::examples::elmo {

/// Runs `elmo <subcommand> ...` with `args` (without the program name): `pretrain`, `features`
/// (which reads sentences from `in`) or `downstream`. Progress and messages go to `err`, results to `out`. Returns 0, or non-zero after one line
/// "elmo: <what was wrong>" on `err`, whatever the exception.
///
///     int code = tg::examples::elmo::run({"pretrain", "--data", "text.txt", "--steps", "100"}, std::cin, std::cout, std::cerr);
int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace tg::examples::elmo
