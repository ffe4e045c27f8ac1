#pragma once
// The translate program as a function, so that tests/examples/translate_test.cpp can run it with
// arguments and read what it prints.
#include "common/replicas.hpp"

#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace tg::examples::translate {

/// Runs translate with `args` (without the program name): translations to `out`, progress and
/// messages to `err`, sentences for `--translate -` from `in`. Returns the exit code: 0, or non-zero
/// after one line "translate: <what was wrong>" on `err`. With several `replicas` (main.cpp under
/// mpirun), trains data-parallel: every replica runs this with the same arguments; rank 0 alone
/// prints, evaluates, translates and writes --out, and a failing replica prints its own line,
/// prefixed with its rank.
///
///     int code = tg::examples::translate::run({"--data", "fra.txt", "--steps", "100"}, std::cin, std::cout, std::cerr);
int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err,
        std::shared_ptr<Replicas> replicas = single_process());

}  // namespace tg::examples::translate
