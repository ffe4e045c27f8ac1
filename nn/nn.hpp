#pragma once
// Everything in tapegrad's nn layer.
#include "nn/init.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/module_gradcheck.hpp"
#include "nn/module_list.hpp"
#include "nn/rnn.hpp"
#include "nn/rnn_cell.hpp"
#include "nn/sequential.hpp"
