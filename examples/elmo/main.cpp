// ELMo's biLM pretrained on a text file (one sentence a line; for a TSV file, its first column),
// with held-out forward and backward perplexities, metrics.csv, loss.svg and model.npz; then
// per-token features of sentences on standard input, with each token's nearest neighbours; and
// restoring punctuation with (a) trained word embeddings vs (b) frozen ELMo + ScalarMix features.
//
//     elmo pretrain --data ../shared/data/fra.txt --steps 2000 --out runs/elmo
//     elmo pretrain --data ../shared/data/tinyshakespeare.txt --dim 256 --projection 64 --epochs 1
//     echo "i can fish ." | elmo features --model runs/elmo --neighbours 3
//     elmo downstream --model runs/elmo --data ../shared/data/fra.txt --steps 300
#include "elmo/program.hpp"

#include <iostream>

int main(int argc, char** argv) {
  return tg::examples::elmo::run(std::vector<std::string>(argv + 1, argv + argc), std::cin, std::cout, std::cerr);
}
