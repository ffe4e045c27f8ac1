#pragma once
// tapegrad: tape-based reverse-mode autograd over xtensor, with layers, optimizers and datasets.
#include "autograd/autograd.hpp"
#include "datasets/datasets.hpp"
#include "nn/nn.hpp"
#include "optim/optim.hpp"
