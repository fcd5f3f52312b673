#pragma once
// Keras-style models, layers, losses, metrics, optimizers and training.
#include "nn/activations.hpp"
#include "nn/callbacks.hpp"
#include "nn/data.hpp"
#include "nn/initializers.hpp"
#include "nn/layers.hpp"
#include "nn/losses.hpp"
#include "nn/metrics.hpp"
#include "nn/optimizers.hpp"
#include "nn/progbar.hpp"
#include "nn/schedules.hpp"
#include "nn/sequential.hpp"
#include "nn/tensorboard_callback.hpp"
