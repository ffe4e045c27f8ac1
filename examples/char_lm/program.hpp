#pragma once
// The char_lm program as a function, so that tests/examples/char_lm_test.cpp can run it with
// arguments and read what it prints.
#include "common/replicas.hpp"

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace tg::examples::char_lm {

/// Runs char_lm with `args` (without the program name), progress and messages to `err`, samples
/// to `out`. Returns the exit code: 0, or non-zero after one line "char_lm: <what was wrong>" on
/// `err`, whatever the exception. With several `replicas` (main.cpp under mpirun), trains
/// data-parallel: every replica runs this with the same arguments; rank 0 alone prints progress and
/// samples and writes --out, and a failing replica prints its own line, prefixed with its rank.
///
///     int code = tg::examples::char_lm::run({"--steps", "100", "--out", "runs/x"}, std::cout, std::cerr);
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        std::shared_ptr<Replicas> replicas = single_process());

}  // namespace tg::examples::char_lm
