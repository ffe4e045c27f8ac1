#pragma once
// Everything in tapegrad's autograd layer.
#include "autograd/dtype.hpp"
#include "autograd/error.hpp"
#include "autograd/function.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/graph.hpp"
#include "autograd/memory.hpp"
#include "autograd/npz.hpp"
#include "autograd/ops.hpp"
#include "autograd/random.hpp"
#include "autograd/rnn_ops.hpp"
#include "autograd/tensor.hpp"
#include "autograd/threads.hpp"
