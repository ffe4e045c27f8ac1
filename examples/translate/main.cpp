// English->French translation with a plain seq2seq or Bahdanau attention (nn/seq2seq.hpp), trained
// on a tab-separated file of sentence pairs, with held-out BLEU, resumable checkpoints and
// translation from the command line or standard input. The model and training loop live in
// translate.hpp, the program in program.hpp.
//
//     translate --data ../shared/data/fra.first50k.txt --model attention --epochs 5 --out runs/att
//     translate --out runs/att --translate "i am cold ." --heatmap runs/att/cold.svg
//     echo "he is calm ." | translate --out runs/att --translate - --beam 4
//     translate --compare runs/s2s runs/att --out runs/compare     # BLEU by source length, both models
//     scripts/mpirun.sh -np 2 translate --data ../shared/data/fra.txt --threads 1 --out runs/dp   # data-parallel
#include "translate/program.hpp"

#include <iostream>

int main(int argc, char** argv) {
  const auto replicas = tg::examples::launch_replicas(argc, argv);
  const int code = tg::examples::translate::run(std::vector<std::string>(argv + 1, argv + argc), std::cin, std::cout,
                                                std::cerr, replicas);
  // A replica that failed alone would leave the others waiting in their next collective.
  if (code != 0 && replicas->size() > 1) replicas->abort(code);
  return code;
}
