#pragma once
/// \file
/// Inverted dropout, as Keras: while training, each element is zeroed with probability `rate` and the
/// survivors are scaled by 1 / (1 - rate); otherwise the input passes unchanged.
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace tg {

// x -> x.shape
Tensor dropout(const Tensor& x, double rate, Generator& gen, bool training = true);

}  // namespace tg
