#pragma once
// Everything in tapegrad's nn layer.
#include "nn/init.hpp"
#include "nn/module.hpp"
#include "nn/module_gradcheck.hpp"
