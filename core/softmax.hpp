#pragma once
/// \file
/// Stable softmax and log-softmax along one axis (the row max is subtracted before exp).
#include <cstdint>

#include "core/tensor.hpp"

namespace tg::core {

// x -> x.shape; sums to 1 along `axis`.
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
// x -> x.shape; x - logsumexp(x) along `axis`.
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

}  // namespace tg::core
