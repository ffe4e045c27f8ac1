// Character-level language model: embedding (or one-hot) -> RNN/GRU/LSTM -> linear head, trained
// with truncated BPTT on any text file (or a generated one), with validation perplexity, sampling
// and resumable checkpoints. The model and training loop live in char_lm.hpp, the program in program.hpp.
//
//     char_lm --data ../shared/data/timemachine.txt --model lstm --layers 2 --hidden 256 --steps 2000 --out runs/tm
//     char_lm --out runs/tm --resume --steps 4000       # continues the run above, with its options
//     char_lm --data ../shared/data/timemachine.txt --normalizer d2l --max-chars 10000 --embed 0
//       --model rnn --hidden 512 --valid-fraction 0 --epochs 500    # d2l's Time Machine setting
//     scripts/mpirun.sh -np 2 char_lm --threads 1 --steps 2000 --out runs/dp   # data-parallel (docs/distributed.md)
#include "char_lm/program.hpp"

#include <iostream>

int main(int argc, char** argv) {
  const auto replicas = tg::examples::launch_replicas(argc, argv);
  const int code =
      tg::examples::char_lm::run(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr, replicas);
  // A replica that failed alone would leave the others waiting in their next collective.
  if (code != 0 && replicas->size() > 1) replicas->abort(code);
  return code;
}
