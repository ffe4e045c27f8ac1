#pragma once
// Everything in tapegrad's optimizer layer.
#include "optim/adam.hpp"
#include "optim/adamw.hpp"
#include "optim/clip_grad.hpp"
#include "optim/optimizer.hpp"
#include "optim/scheduler.hpp"
#include "optim/scheduler_plateau.hpp"
#include "optim/scheduler_warmup.hpp"
#include "optim/sgd.hpp"
