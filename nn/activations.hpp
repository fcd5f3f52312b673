#pragma once
/// \file
/// Keras activations by name: "linear" (or ""), "relu", "sigmoid", "tanh", "softmax".
#include <string>

#include "core/tensor.hpp"

namespace tg::nn {

/// Throws std::invalid_argument naming `context` and the unknown activation.
void check_activation(const std::string& name, const std::string& context);
/// Applies the named activation (softmax over the last axis).
Tensor activation(const std::string& name, const Tensor& x);
/// "" and "linear" both mean identity; returns the canonical name Keras stores ("linear").
std::string canonical_activation(const std::string& name);

}  // namespace tg::nn
