#pragma once
// Everything in tapegrad's nn layer.
#include "nn/init.hpp"
#include "nn/module.hpp"
#include "nn/module_gradcheck.hpp"
#include "nn/rnn.hpp"
#include "nn/rnn_cell.hpp"
