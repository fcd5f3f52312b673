#pragma once
/// \file
/// Differentiable activations. softmax and log_softmax subtract the row max (stable for any
/// magnitude). softmax turns scores into probabilities that sum to 1 along `axis`; it is monotone,
/// so the argmax is unchanged.
#include <cstdint>

#include "core/tensor.hpp"

namespace tg {

// x -> x.shape, for all of these.
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

}  // namespace tg
